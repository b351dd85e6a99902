/// A lexical pre-check of TOML brackets, run before the TOML library sees
/// the text: that library aborts the process (an assertion, compiled into
/// every build) on a `}` where an array expects a value, as in `s = [1, }`.
/// Valid TOML never closes a bracket with the other kind, and a table
/// header always starts with a key, so refusing these outside strings and
/// comments loses nothing.
public enum TOMLBrackets {
  public struct Mismatch: Equatable, Sendable {
    public var line: Int
    public var column: Int
  }

  private static func isKeyStart(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""),
      UInt8(ascii: "'"), UInt8(ascii: "]"):
      true
    default: false
    }
  }

  public static func firstMismatch(_ text: String) -> Mismatch? {
    let bytes = Array(text.utf8)
    var open: [UInt8] = []
    var index = 0
    var line = 1
    var lineStart = 0
    func starts(_ literal: String, at position: Int) -> Bool {
      let pattern = Array(literal.utf8)
      return position + pattern.count <= bytes.count
        && bytes[position..<(position + pattern.count)].elementsEqual(pattern)
    }
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\n"):
        line += 1
        lineStart = index + 1
        index += 1
      case UInt8(ascii: "#"):
        while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
      case UInt8(ascii: "\""), UInt8(ascii: "'"):
        let triple = starts(byte == UInt8(ascii: "\"") ? "\"\"\"" : "'''", at: index)
        let escapes = byte == UInt8(ascii: "\"")
        index += triple ? 3 : 1
        while index < bytes.count {
          if escapes && bytes[index] == UInt8(ascii: "\\") {
            index += 2
            continue
          }
          if bytes[index] == UInt8(ascii: "\n") {
            guard triple else { break }  // an unterminated string: the TOML parser reports it
            line += 1
            lineStart = index + 1
          }
          if bytes[index] == byte
            && (!triple || starts(String(repeating: Character(UnicodeScalar(byte)), count: 3), at: index))
          {
            index += triple ? 3 : 1
            // A closing triple quote may be followed by up to two more quotes that belong to the string.
            while triple && index < bytes.count && bytes[index] == byte { index += 1 }
            break
          }
          index += 1
        }
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        // A table header must start with a key: the library aborts on `[.a]`, `[#]` or `[` + newline.
        if byte == UInt8(ascii: "["), open.isEmpty,
          bytes[lineStart..<index].allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        {
          var next = index + 1
          if next < bytes.count && bytes[next] == UInt8(ascii: "[") { next += 1 }
          while next < bytes.count && (bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t"))
          {
            next += 1
          }
          if next < bytes.count && !isKeyStart(bytes[next]) {
            return Mismatch(line: line, column: next - lineStart + 1)
          }
        }
        open.append(byte)
        index += 1
      case UInt8(ascii: "]"), UInt8(ascii: "}"):
        let expected = byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
        if let last = open.last, last != expected {
          return Mismatch(line: line, column: index - lineStart + 1)
        }
        if !open.isEmpty { open.removeLast() }
        index += 1
      default:
        index += 1
      }
    }
    return nil
  }
}
