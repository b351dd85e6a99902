import A0Core
import A0TestRandom
import Testing

@Suite("MCP's stdio framing")
struct MessageLinesTests {
  @Test("any chunking of a stream yields the same messages as the whole stream (2,000 seeded streams)")
  func chunkingIsInvisible() throws {
    var random = SplitMix64(seed: 0x4D43_5031)
    for _ in 0..<2000 {
      var stream: [UInt8] = []
      var expected: [[UInt8]] = []
      for _ in 0..<Int.random(in: 0...12, using: &random) {
        let length = Int.random(in: 0...300, using: &random)
        let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }.filter {
          $0 != UInt8(ascii: "\n")
        }
        let line = message + (Bool.random(using: &random) ? [13] : [])
        stream += line + [10]
        var kept = line
        if kept.last == 13 { kept.removeLast() }
        if !kept.isEmpty { expected.append(kept) }
      }
      var lines = MessageLines(limit: 1024)
      var received: [[UInt8]] = []
      var offset = 0
      while offset < stream.count {
        let size = Int.random(in: 1...64, using: &random)
        received += try lines.feed(stream[offset..<min(stream.count, offset + size)])
        offset += size
      }
      guard received == expected, lines.unfinished == 0 else {
        Issue.record("messages differ for a stream of \(stream.count) bytes")
        return
      }
    }
  }

  @Test("a message past the limit is refused as soon as it passes it, however it arrives")
  func limit() {
    var lines = MessageLines(limit: 10)
    #expect(throws: MessageLines.Failure.tooLong(limit: 10)) {
      _ = try lines.feed(Array(repeating: UInt8(ascii: "x"), count: 11))
    }
    var exact = MessageLines(limit: 10)
    #expect(
      (try? exact.feed(Array(repeating: UInt8(ascii: "x"), count: 10) + [10])) == [
        Array(repeating: 120, count: 10)
      ])
  }
}
