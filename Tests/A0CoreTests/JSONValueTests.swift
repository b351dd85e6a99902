import A0Core
import A0TestRandom
import Testing

@Suite("Canonical JSON")
struct JSONValueTests {
  @Test("keys are sorted, no whitespace, slash unescaped, non-ASCII raw")
  func canonical() {
    let value: JSONValue = ["b": 1, "a": ["z/y": "é\n\"\\", "list": [true, nil, -3]]]
    #expect(value.canonicalString == #"{"a":{"list":[true,null,-3],"z/y":"é\n\"\\"},"b":1}"#)
  }

  @Test("control characters are escaped as Python escapes them")
  func controls() {
    #expect(JSONValue.string("\u{01}\u{1F}\t\u{7F}").canonicalString == #""\u0001\u001f\t"# + "\u{7F}\"")
  }

  @Test("keys sort by code point, not by Swift's string order")
  func codePointOrder() {
    // "e\u{301}" (decomposed é) sorts after "f" as a Swift String but
    // before it by code points, as Python sorts it.
    let value: JSONValue = ["f": 1, "e\u{301}": 2, "Z": 3]
    #expect(value.canonicalString == "{\"Z\":3,\"e\u{301}\":2,\"f\":1}")
  }

  @Test(
    "parse and serialise round-trip",
    arguments: [
      #"{"a":[1,2,{"b":null}],"c":"x\u00e9\ud83d\ude00"}"#, "[]", "{}", #""\/""#, "-0", "9223372036854775807",
    ])
  func roundTrip(text: String) throws {
    let value = try JSONValue.parse(text)
    #expect(try JSONValue.parse(value.canonicalString) == value)
    #expect(try JSONValue.parse(value.prettyString) == value)
  }

  @Test(
    "malformed documents are refused",
    arguments: [
      "", "{", "[1,]", #"{"a":1,"a":2}"#, "1.5", "1e3", "01", #""\x""#, "tru", #"{"a" 1}"#, "[1] [2]",
      #""\ud800""#, "\"a\u{01}\"", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
      "99999999999999999999",
    ])
  func malformed(text: String) {
    #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
  }

  @Test("invalid UTF-8 inside a string is refused")
  func invalidUTF8() {
    #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
  }

  @Test("a seeded stream of random bytes never crashes the parser")
  func fuzz() throws {
    var generator = SplitMix64(seed: 42)
    let alphabet = Array(#"{}[]",:0123456789-truefalsnul\ "abc"#.utf8) + [0xC3, 0xA9, 0xFF]
    for _ in 0..<20_000 {
      let length = Int(generator.next() % 40)
      let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
      if let value = try? JSONValue.parse(bytes) {
        #expect(try JSONValue.parse(value.canonicalBytes) == value)
      }
    }
  }
}
