/// SHA-256 of the concatenation of two byte runs (the journal line before
/// and after its `hash` member), supplied by the system layer.
public typealias SplitSHA256 = @Sendable (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Digest256

/// What one journal line contributes to the chain.
public enum CheckedJournalLine: Equatable, Sendable {
  /// A canonical, self-hashed line. `prevHash` is nil when it is not a
  /// digest at all (then it cannot link to anything).
  case event(seq: Int64, prevHash: Digest256?, hash: Digest256)
  case bad(JournalLineError)
}

extension AuditEvent {
  /// Checks one line (without its newline): canonical and carrying the
  /// hash of its own content.
  ///
  /// A scanner accepts the lines a0 writes without building any value;
  /// whatever it does not accept at once (an escaped key, a long number,
  /// odd nesting, any error) goes to `parse(line:)`, which decides and
  /// names the error. The scanner only ever accepts what `parse` accepts,
  /// so the outcome is `parse`'s outcome, reached quickly on good lines.
  public static func check(line: UnsafeBufferPointer<UInt8>, sha256: SplitSHA256) -> CheckedJournalLine {
    var scanner = CanonicalEventScanner(bytes: line)
    if let shape = scanner.scanEvent() {
      let digest = sha256(
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[..<shape.hashMember.lowerBound])),
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[shape.hashMember.upperBound...])))
      if digest == shape.hash { return .event(seq: shape.seq, prevHash: shape.prevHash, hash: shape.hash) }
    }
    do throws(JournalLineError) {
      let event = try parse(line: Array(line)[...]) { bytes in
        bytes.withUnsafeBytes { sha256($0, UnsafeRawBufferPointer(start: nil, count: 0)).hex }
      }
      guard let hash = Digest256(hex: event.hash) else { return .bad(.hashMismatch) }
      return .event(seq: event.seq, prevHash: Digest256(hex: event.prevHash), hash: hash)
    } catch {
      return .bad(error)
    }
  }

  /// Checks every line of a journal (or a run of whole lines of one).
  /// `torn` is true when the bytes do not end in a newline.
  public static func checkLines(_ bytes: UnsafeBufferPointer<UInt8>, sha256: SplitSHA256)
    -> (lines: [CheckedJournalLine], torn: Bool)
  {
    var lines: [CheckedJournalLine] = []
    var start = 0
    let newline = UInt8(ascii: "\n")
    while start < bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != newline { end += 1 }
      guard end < bytes.count else { return (lines, true) }
      lines.append(check(line: UnsafeBufferPointer(rebasing: bytes[start..<end]), sha256: sha256))
      start = end + 1
    }
    return (lines, false)
  }

  /// Links checked lines: `seq` counting from 1, each `prev_hash` the hash
  /// of the line before. The first bad line ends the walk.
  public static func link(_ lines: [CheckedJournalLine], torn: Bool) -> JournalVerification {
    var previousHash = Digest256(hex: genesisHash) ?? .zero
    var expectedSeq: Int64 = 1
    for (index, line) in lines.enumerated() {
      let error: JournalLineError
      switch line {
      case .bad(let lineError): error = lineError
      case .event(let seq, let prevHash, let hash):
        if seq != expectedSeq {
          error = .wrongSequence(expected: expectedSeq, found: seq)
        } else if prevHash != previousHash {
          error = .brokenChain
        } else {
          previousHash = hash
          expectedSeq += 1
          continue
        }
      }
      return JournalVerification(
        eventCount: index, headHash: previousHash.hex, firstError: (index + 1, error))
    }
    if torn {
      return JournalVerification(
        eventCount: lines.count, headHash: previousHash.hex, firstError: (lines.count + 1, .torn))
    }
    return JournalVerification(eventCount: lines.count, headHash: previousHash.hex, firstError: nil)
  }

  /// Verifies a whole journal: each line canonical and self-hashed, `seq`
  /// counting from 1, each `prev_hash` the hash of the line before, the
  /// file ending in a newline.
  public static func verifyChain(_ bytes: [UInt8], sha256: SplitSHA256) -> JournalVerification {
    let (lines, torn) = bytes.withUnsafeBufferPointer { checkLines($0, sha256: sha256) }
    return link(lines, torn: torn)
  }
}

/// The parts of a journal line the chain needs, found by the scanner.
struct ScannedEvent {
  var seq: Int64
  var prevHash: Digest256
  var hash: Digest256
  /// `"hash":"…",`: what the hash input leaves out.
  var hashMember: Range<Int>
}

/// Accepts exactly the canonical serialisation of an event whose strings
/// need at most the escapes `JSONValue` writes; returns nil on anything
/// else (which is then left to the full parser).
struct CanonicalEventScanner {
  let bytes: UnsafeBufferPointer<UInt8>
  var position = 0
  /// Well below the parser's limit, so nothing the parser refuses for depth is accepted here.
  static let maximumDepth = 48

  init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  mutating func scanEvent() -> ScannedEvent? {
    guard literal("{\"actor\":"), string() != nil,
      literal(",\"details\":"), object(depth: 1),
      literal(",\"event_type\":"), string() != nil
    else { return nil }
    let memberStart = position + 1
    guard literal(",\"hash\":"), let hash = digest(), byte(UInt8(ascii: ",")) else { return nil }
    let memberEnd = position
    guard literal("\"prev_hash\":"), let prevHash = digest(),
      literal(",\"seq\":"), let seq = integer(),
      literal(",\"timestamp\":"), timestamp(),
      byte(UInt8(ascii: "}")), position == bytes.count
    else { return nil }
    return ScannedEvent(seq: seq, prevHash: prevHash, hash: hash, hashMember: memberStart..<memberEnd)
  }

  private mutating func byte(_ expected: UInt8) -> Bool {
    guard position < bytes.count, bytes[position] == expected else { return false }
    position += 1
    return true
  }

  private mutating func literal(_ text: StaticString) -> Bool {
    let count = text.utf8CodeUnitCount
    guard position + count <= bytes.count else { return false }
    let start = text.utf8Start
    for offset in 0..<count where bytes[position + offset] != start[offset] { return false }
    position += count
    return true
  }

  /// A quoted digest of 64 lowercase hex digits.
  private mutating func digest() -> Digest256? {
    guard position + 66 <= bytes.count, bytes[position] == UInt8(ascii: "\""),
      bytes[position + 65] == UInt8(ascii: "\""),
      let value = Digest256(hex: UnsafeBufferPointer(rebasing: bytes[(position + 1)..<(position + 65)]))
    else { return nil }
    position += 66
    return value
  }

  /// A quoted `YYYY-MM-DDTHH:MM:SS.mmmZ`, a real date and time: exactly what `Timestamp.iso8601` writes
  /// for years 0–9999.
  private mutating func timestamp() -> Bool {
    guard position + 26 <= bytes.count, bytes[position] == UInt8(ascii: "\""),
      bytes[position + 25] == UInt8(ascii: "\"")
    else { return false }
    let text = UnsafeBufferPointer(rebasing: bytes[(position + 1)..<(position + 25)])
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for index in range {
        let digit = text[index] &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        value = value * 10 + Int(digit)
      }
      return value
    }
    guard text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: "T"),
      text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), text[19] == UInt8(ascii: "."),
      text[23] == UInt8(ascii: "Z"), let year = number(0..<4), let month = number(5..<7),
      let day = number(8..<10), let hour = number(11..<13), let minute = number(14..<16),
      let second = number(17..<19), number(20..<23) != nil,
      (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60
    else { return false }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    let daysInMonth =
      switch month {
      case 2: leap ? 29 : 28
      case 4, 6, 9, 11: 30
      default: 31
      }
    guard day <= daysInMonth else { return false }
    position += 26
    return true
  }

  /// `-?(0|[1-9][0-9]*)` within Int64, not `-0`.
  private mutating func integer() -> Int64? {
    var negative = false
    if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
      negative = true
      position += 1
    }
    let start = position
    // 19 digits always fit in a UInt64; the range is checked after.
    var magnitude: UInt64 = 0
    while position < bytes.count {
      let digit = bytes[position] &- UInt8(ascii: "0")
      guard digit < 10 else { break }
      guard position - start < 19 else { return nil }
      magnitude = magnitude * 10 + UInt64(digit)
      position += 1
    }
    let count = position - start
    guard count > 0, !(count > 1 && bytes[start] == UInt8(ascii: "0")), !(negative && magnitude == 0) else {
      return nil
    }
    if negative {
      guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
      return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
  }

  /// A canonical string; returns the range of its content and whether it had escapes.
  private mutating func string() -> (content: Range<Int>, escaped: Bool)? {
    guard byte(UInt8(ascii: "\"")) else { return nil }
    let start = position
    var escaped = false
    while position < bytes.count {
      let lead = bytes[position]
      if lead == UInt8(ascii: "\"") {
        position += 1
        return (start..<(position - 1), escaped)
      }
      if lead == UInt8(ascii: "\\") {
        guard escape() else { return nil }
        escaped = true
      } else if lead < 0x20 {
        return nil
      } else if lead < 0x80 {
        position += 1
      } else {
        guard utf8Sequence(lead) else { return nil }
      }
    }
    return nil
  }

  /// The escapes `JSONValue` writes: the short ones and `\u00xx` for
  /// other control characters, lowercase.
  private mutating func escape() -> Bool {
    guard position + 1 < bytes.count else { return false }
    switch bytes[position + 1] {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"),
      UInt8(ascii: "b"), UInt8(ascii: "f"):
      position += 2
      return true
    case UInt8(ascii: "u"):
      guard position + 6 <= bytes.count, bytes[position + 2] == UInt8(ascii: "0"),
        bytes[position + 3] == UInt8(ascii: "0")
      else { return false }
      let high = bytes[position + 4]
      let low = bytes[position + 5]
      let lowValue: UInt8
      switch low {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): lowValue = low - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): lowValue = low - UInt8(ascii: "a") + 10
      default: return false
      }
      guard high == UInt8(ascii: "0") || high == UInt8(ascii: "1") else { return false }
      let value = (high - UInt8(ascii: "0")) << 4 | lowValue
      guard ![0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(value) else { return false }
      position += 6
      return true
    default:
      return false
    }
  }

  /// One well-formed multi-byte UTF-8 sequence (Unicode table 3-7): no
  /// overlong forms, no surrogates, nothing above U+10FFFF.
  private mutating func utf8Sequence(_ lead: UInt8) -> Bool {
    func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
      position + offset < bytes.count && range.contains(bytes[position + offset])
    }
    let length: Int
    switch lead {
    case 0xC2...0xDF: length = continuation(1) ? 2 : 0
    case 0xE0: length = continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
    case 0xE1...0xEC, 0xEE...0xEF: length = continuation(1) && continuation(2) ? 3 : 0
    case 0xED: length = continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
    case 0xF0: length = continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
    case 0xF1...0xF3: length = continuation(1) && continuation(2) && continuation(3) ? 4 : 0
    case 0xF4: length = continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
    default: length = 0
    }
    position += length
    return length > 0
  }

  private mutating func value(depth: Int) -> Bool {
    guard depth < Self.maximumDepth, position < bytes.count else { return false }
    switch bytes[position] {
    case UInt8(ascii: "\""): return string() != nil
    case UInt8(ascii: "{"): return object(depth: depth)
    case UInt8(ascii: "["): return array(depth: depth)
    case UInt8(ascii: "t"): return literal("true")
    case UInt8(ascii: "f"): return literal("false")
    case UInt8(ascii: "n"): return literal("null")
    default: return integer() != nil
    }
  }

  private mutating func array(depth: Int) -> Bool {
    guard byte(UInt8(ascii: "[")) else { return false }
    if byte(UInt8(ascii: "]")) { return true }
    repeat {
      guard value(depth: depth + 1) else { return false }
    } while byte(UInt8(ascii: ","))
    return byte(UInt8(ascii: "]"))
  }

  /// Keys strictly increasing by code point (UTF-8 byte order is code
  /// point order); a key with an escape is left to the parser.
  private mutating func object(depth: Int) -> Bool {
    guard depth < Self.maximumDepth, byte(UInt8(ascii: "{")) else { return false }
    if byte(UInt8(ascii: "}")) { return true }
    var previousKey: Range<Int>?
    repeat {
      guard let key = string(), !key.escaped else { return false }
      if let previousKey, !precedes(previousKey, key.content) { return false }
      previousKey = key.content
      guard byte(UInt8(ascii: ":")), value(depth: depth + 1) else { return false }
    } while byte(UInt8(ascii: ","))
    return byte(UInt8(ascii: "}"))
  }

  private func precedes(_ first: Range<Int>, _ second: Range<Int>) -> Bool {
    var left = first.lowerBound
    var right = second.lowerBound
    while left < first.upperBound && right < second.upperBound {
      if bytes[left] != bytes[right] { return bytes[left] < bytes[right] }
      left += 1
      right += 1
    }
    return left == first.upperBound && right < second.upperBound
  }
}
