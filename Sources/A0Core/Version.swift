/// A release tag of the upstream, parsed and ordered by its numbers.
///
/// Accepted shapes (AGENT_ZERO.md): Agent Zero's `v0.7`, `v0.9.5.1`,
/// `v1.7`, `v0.9.8-pre` (two to four numbers, optional `-pre`), and
/// SemVer-style `v1.2.3` / `v1.2.3-rc.1` for other apps. The leading `v` is
/// optional. Numbers are compared padded with zeros (`v1.0` = `v1.0.0.0`)
/// and a pre-release comes before its release. Anything else — branch
/// names, options, paths, whitespace, non-ASCII look-alikes — is refused
/// here, before any process could see it.
public struct Version: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The tag exactly as upstream spells it; what is passed to git.
  public let tag: String
  public let numbers: [Int]
  /// Dot-separated pre-release identifiers (`["pre"]`, `["rc", "1"]`); empty for a release.
  public let prerelease: [String]

  public static let maximumLength = 64

  public init?(tag: String) {
    let bytes = Array(tag.utf8)
    guard !bytes.isEmpty, bytes.count <= Self.maximumLength else { return nil }
    var index = 0
    if bytes[0] == UInt8(ascii: "v") { index = 1 }
    var numbers: [Int] = []
    while true {
      let start = index
      while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
      let digits = index - start
      // Leading zeros would give two tags one order position.
      guard digits > 0, digits <= 9, !(digits > 1 && bytes[start] == 48) else { return nil }
      numbers.append(bytes[start..<index].reduce(0) { $0 * 10 + Int($1 - 48) })
      if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        continue
      }
      break
    }
    guard (2...4).contains(numbers.count) else { return nil }
    var prerelease: [String] = []
    if index < bytes.count {
      guard bytes[index] == UInt8(ascii: "-"), index + 1 < bytes.count else { return nil }
      let identifiers = bytes[(index + 1)...].split(
        separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
      for identifier in identifiers {
        guard !identifier.isEmpty,
          identifier.allSatisfy({ Self.isIdentifierByte($0) }),
          !(identifier.count > 1 && identifier.first == 48
            && identifier.allSatisfy { (48...57).contains($0) })
        else { return nil }
        prerelease.append(String(decoding: identifier, as: UTF8.self))
      }
    }
    self.tag = tag
    self.numbers = numbers
    self.prerelease = prerelease
  }

  private static func isIdentifierByte(_ byte: UInt8) -> Bool {
    (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
      || byte == UInt8(ascii: "-")
  }

  public var isPrerelease: Bool { !prerelease.isEmpty }
  public var description: String { tag }

  /// Numbers padded to four, the order key Agent Zero's tags need.
  private var paddedNumbers: [Int] { numbers + Array(repeating: 0, count: max(0, 4 - numbers.count)) }

  public static func < (lhs: Version, rhs: Version) -> Bool {
    let order = compareOrder(lhs, rhs)
    return order != 0 ? order < 0 : lhs.tag < rhs.tag
  }

  /// Whether two tags name the same position (`v1.0` and `v1.0.0`).
  public func isSamePosition(as other: Version) -> Bool { Self.compareOrder(self, other) == 0 }

  public func isNewer(than other: Version) -> Bool { Self.compareOrder(self, other) > 0 }

  private static func compareOrder(_ lhs: Version, _ rhs: Version) -> Int {
    for (left, right) in zip(lhs.paddedNumbers, rhs.paddedNumbers) where left != right {
      return left < right ? -1 : 1
    }
    switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
    case (true, true): return 0
    case (true, false): return 1
    case (false, true): return -1
    case (false, false): break
    }
    for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
      switch (Int(left), Int(right)) {
      case (let l?, let r?): return l < r ? -1 : 1
      case (.some, nil): return -1
      case (nil, .some): return 1
      case (nil, nil): return left < right ? -1 : 1
      }
    }
    return lhs.prerelease.count == rhs.prerelease.count
      ? 0 : (lhs.prerelease.count < rhs.prerelease.count ? -1 : 1)
  }
}
