import A0Core
import A0TestRandom
import Testing

@Suite("Versions")
struct VersionTests {
  @Test(
    "the real upstream's tag shapes parse",
    arguments: [
      "v0.7", "v0.9.5.1", "v0.9.8.3", "v0.9.9.0", "v1.0", "v1.7", "v0.9.3-pre", "v0.9.8-pre", "v2.0",
      "v1.2.3", "v1.2.3-rc.1", "1.2.3", "v1.2.3-beta-2.x",
    ])
  func valid(tag: String) {
    #expect(Version(tag: tag)?.tag == tag)
  }

  @Test(
    "hostile and malformed strings are refused",
    arguments: [
      "", "main", "latest", "v1.7; rm -rf /", "--upload-pack=x", "../x", "v1", "v1.2.3.4.5", "v01.2",
      "v1.2-", "v1.2-pre..1", "v1.2 ", " v1.2", "v1.2\n", "ｖ1.2", "v１.2", "v1.2-pré", "v1.2/x", "v1..2",
      "V1.2",
      "v1.2-pre$(id)", "-v1.2", "v1.2.3-01", String(repeating: "1.", count: 5000) + "1",
      "v" + String(repeating: "9", count: 10) + ".1",
    ])
  func invalid(tag: String) {
    #expect(Version(tag: tag) == nil)
  }

  @Test("order: numbers padded with zeros, -pre before its release, never by text")
  func order() {
    let ordered = [
      "v0.7", "v0.9.3-pre", "v0.9.5.1", "v0.9.8-pre", "v0.9.8", "v0.9.8.1", "v0.9.8.3", "v0.9.9.0", "v0.10",
      "v1.0", "v1.2.3-alpha", "v1.2.3-rc.1", "v1.2.3-rc.2", "v1.2.3-rc.10", "v1.2.3", "v1.7", "v1.10", "v2.0",
    ].map { Version(tag: $0)! }
    #expect(ordered.shuffled().sorted() == ordered)
    for (older, newer) in zip(ordered, ordered.dropFirst()) {
      #expect(newer.isNewer(than: older), "\(newer) > \(older)")
      #expect(!older.isNewer(than: newer))
    }
  }

  @Test("missing numbers count as zero")
  func padding() {
    #expect(Version(tag: "v1.0")!.isSamePosition(as: Version(tag: "v1.0.0.0")!))
    #expect(!Version(tag: "v1.0.0.1")!.isSamePosition(as: Version(tag: "v1.0")!))
  }

  @Test("random strings never crash the parser, and accepted ones are well-formed")
  func fuzz() {
    var generator = SplitMix64(seed: 7)
    let alphabet = Array("v0123456789.-preac ;/$".utf8)
    for _ in 0..<20_000 {
      let bytes = (0..<Int(generator.next() % 16)).map { _ in
        alphabet[Int(generator.next() % UInt64(alphabet.count))]
      }
      let text = String(decoding: bytes, as: UTF8.self)
      if let version = Version(tag: text) {
        #expect((2...4).contains(version.numbers.count))
        #expect(!text.contains(" ") && !text.contains(";") && !text.contains("/") && !text.contains("$"))
      }
    }
  }
}
