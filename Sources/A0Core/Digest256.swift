/// A SHA-256 digest held as four words, so checking a chain allocates
/// nothing per line.
public struct Digest256: Hashable, Sendable {
  public var words: (UInt64, UInt64, UInt64, UInt64)

  public static let zero = Digest256(words: (0, 0, 0, 0))

  public init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

  /// From the 32 raw bytes of a digest.
  public init(bytes: UnsafeRawBufferPointer) {
    func word(_ index: Int) -> UInt64 {
      bytes.count >= 32
        ? UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) : 0
    }
    self.words = (word(0), word(1), word(2), word(3))
  }

  /// From exactly 64 lowercase hex digits, the only spelling a0 writes.
  public init?(hex: some Collection<UInt8>) {
    guard hex.count == 64 else { return nil }
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var index = 0
    for byte in hex {
      let nibble: UInt64
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte &- UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(byte &- UInt8(ascii: "a") &+ 10)
      default: return nil
      }
      switch index / 16 {
      case 0: words.0 = words.0 << 4 | nibble
      case 1: words.1 = words.1 << 4 | nibble
      case 2: words.2 = words.2 << 4 | nibble
      default: words.3 = words.3 << 4 | nibble
      }
      index += 1
    }
    self.words = words
  }

  public init?(hex text: String) { self.init(hex: Array(text.utf8)) }

  public var hex: String {
    let digits = Array("0123456789abcdef".utf8)
    var output: [UInt8] = []
    output.reserveCapacity(64)
    for word in [words.0, words.1, words.2, words.3] {
      for shift in stride(from: 60, through: 0, by: -4) {
        output.append(digits[Int((word >> UInt64(shift)) & 0xF)])
      }
    }
    return String(decoding: output, as: UTF8.self)
  }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
      && lhs.words.3 == rhs.words.3
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(words.0)
    hasher.combine(words.1)
    hasher.combine(words.2)
    hasher.combine(words.3)
  }
}
