import A0TestRandom
import Testing

@testable import A0Core

/// A stand-in digest (the real SHA-256 is in A0System): any deterministic
/// function of the bytes shows the checking logic.
private func standIn(_ bytes: [UInt8]) -> Digest256 {
  var words: (UInt64, UInt64, UInt64, UInt64) = (0xcbf2_9ce4_8422_2325, 7, 11, 13)
  for byte in bytes {
    words.0 = (words.0 ^ UInt64(byte)) &* 0x1000_0000_01b3
    words.1 = (words.1 &+ UInt64(byte)) &* 0x9E37_79B9_7F4A_7C15
    words.2 = (words.2 ^ words.0) &* 0xBF58_476D_1CE4_E5B9
    words.3 = words.3 &+ words.1 ^ words.2
  }
  return Digest256(words: words)
}

private let split: SplitSHA256 = { first, second in standIn(Array(first) + Array(second)) }

/// What the reference path alone says of a line: parse, re-serialise, hash.
private func reference(_ line: [UInt8]) -> CheckedJournalLine {
  do throws(JournalLineError) {
    let event = try AuditEvent.parse(line: line[...]) { standIn($0).hex }
    guard let hash = Digest256(hex: event.hash) else { return .bad(.hashMismatch) }
    return .event(seq: event.seq, prevHash: Digest256(hex: event.prevHash), hash: hash)
  } catch {
    return .bad(error)
  }
}

private func check(_ line: [UInt8]) -> CheckedJournalLine {
  line.withUnsafeBufferPointer { AuditEvent.check(line: $0, sha256: split) }
}

private func scans(_ line: [UInt8]) -> Bool {
  line.withUnsafeBufferPointer { buffer in
    var scanner = CanonicalEventScanner(bytes: buffer)
    return scanner.scanEvent() != nil
  }
}

/// A random JSON value of the kinds journal details hold, including the
/// awkward ones: escapes, non-ASCII, keys that sort oddly, extreme integers.
private func randomValue(_ generator: inout SplitMix64, depth: Int) -> JSONValue {
  let pieces = [
    "a", "Z", "é", "e\u{301}", "\u{1F600}", "\n", "\t", "\u{01}", "\u{1F}", "\u{7F}", "\"", "\\", "/",
    "state_after", "hash", "",
  ]
  func text() -> String {
    (0..<Int(generator.next() % 4)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
  }
  switch generator.next() % (depth > 3 ? 4 : 6) {
  case 0: return .string(text())
  case 1:
    let choices: [Int64] = [
      0, -1, 7, Int64.max, Int64.min, 123_456_789_012_345_678, -1_000_000_000_000_000_000,
    ]
    return .int(choices[Int(generator.next() % UInt64(choices.count))])
  case 2: return generator.next() % 2 == 0 ? .bool(generator.next() % 2 == 0) : .null
  case 3: return .string(String(repeating: "x", count: Int(generator.next() % 3)))
  case 4:
    return .array((0..<Int(generator.next() % 3)).map { _ in randomValue(&generator, depth: depth + 1) })
  default:
    var members: [String: JSONValue] = [:]
    for _ in 0..<Int(generator.next() % 4) { members[text()] = randomValue(&generator, depth: depth + 1) }
    return .object(members)
  }
}

private func randomEvent(_ generator: inout SplitMix64) -> AuditEvent {
  var details: [String: JSONValue] = [:]
  for _ in 0..<Int(generator.next() % 5) {
    details["k\(generator.next() % 100)"] = randomValue(&generator, depth: 2)
  }
  var event = AuditEvent(
    seq: Int64(generator.next() % 1_000_000) + 1,
    timestamp: Timestamp(
      millisecondsSinceEpoch: Int64(generator.next() % 300_000_000_000_000) - 62_000_000_000_000),
    eventType: generator.next() % 2 == 0 ? "upgrade_requested" : "é\u{01}",
    actor: "human:root", details: details, prevHash: standIn([UInt8(generator.next() % 256)]).hex)
  event.hash = standIn(event.hashInput).hex
  return event
}

/// Inserts `"hash":"…",` for the hash of `input` before `"prev_hash":`, as a
/// writer that knew the format but not the rules would.
private func signed(_ input: [UInt8]) -> [UInt8] {
  let marker = Array(#""prev_hash":"#.utf8)
  guard input.count >= marker.count,
    let at = (0...(input.count - marker.count)).last(where: {
      input[$0..<($0 + marker.count)].elementsEqual(marker)
    })
  else { return input }
  return Array(input[..<at]) + Array(#""hash":"\#(standIn(input).hex)","#.utf8) + Array(input[at...])
}

@Suite("Journal line checker")
struct JournalLineCheckTests {
  @Test("every line a0 writes is taken by the fast scanner, with the reference's result")
  func writtenLines() {
    var generator = SplitMix64(seed: 2026)
    var scanned = 0
    for _ in 0..<3_000 {
      let line = Array(randomEvent(&generator).line.dropLast())
      let expected = reference(line)
      guard case .event = expected else {
        Issue.record("a line a0 wrote does not verify: \(String(decoding: line, as: UTF8.self))")
        continue
      }
      #expect(check(line) == expected)
      // Only a key with an escape is left to the parser.
      if scans(line) {
        scanned += 1
      } else if !line.contains(UInt8(ascii: "\\")) {
        Issue.record("left to the parser: \(String(decoding: line, as: UTF8.self))")
      }
    }
    #expect(scanned > 1_500)
  }

  @Test("mutated lines, re-hashed so only canonical form can refuse them, get the reference's verdict")
  func mutatedLines() {
    var generator = SplitMix64(seed: 9)
    let alphabet =
      Array(#"{}[]",:0123456789-tfnu\ "aeZ./Tz"#.utf8) + [
        0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0xFF,
      ]
    var accepted = 0
    var refused = 0
    for _ in 0..<20_000 {
      var input = randomEvent(&generator).hashInput
      for _ in 0..<(1 + Int(generator.next() % 3)) {
        guard !input.isEmpty else { break }
        let at = Int(generator.next() % UInt64(input.count))
        switch generator.next() % 4 {
        case 0: input[at] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
        case 1: input.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: at)
        case 2: input.remove(at: at)
        default:
          let end = min(input.count, at + Int(generator.next() % 8))
          input.insert(contentsOf: Array(input[at..<end]), at: at)
        }
      }
      let line = signed(input)
      let expected = reference(line)
      #expect(check(line) == expected, "\(String(decoding: line, as: UTF8.self))")
      if scans(line), case .bad(let error) = expected {
        Issue.record(
          "the scanner took a line the parser refuses (\(error)): \(String(decoding: line, as: UTF8.self))")
      }
      if case .event = expected { accepted += 1 } else { refused += 1 }
    }
    // Both verdicts occur, or the test would show nothing.
    #expect(accepted > 100)
    #expect(refused > 100)
  }

  @Test(
    "non-canonical spellings the scanner must leave to the parser",
    arguments: [
      #"{"actor":"a","details":{"b":1,"a":2},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a","details":{"a":1,"a":2},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"\u0061","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a\/b","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"\u000a","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"\u001F","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a","details":{"n":-0},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a","details":{"n":01},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-02-30T00:00:00.000Z"}"#,
      #"{"actor":"a","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00Z"}"#,
      #"{"actor":"a","details":{},"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T24:00:00.000Z"}"#,
      #"{"actor":"a","details":{ },"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a","details":[],"event_type":"e","prev_hash":"PH","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#,
      #"{"actor":"a","details":{},"event_type":"e","prev_hash":"PH","seq":"1","timestamp":"2026-01-01T00:00:00.000Z"}"#,
    ])
  func nonCanonical(template: String) {
    let prevHash = String(repeating: "0", count: 64)
    let line = signed(Array(template.replacingOccurrences(of: "PH", with: prevHash).utf8))
    #expect(!scans(line))
    guard case .bad = check(line) else {
      Issue.record("accepted: \(template)")
      return
    }
  }

  @Test("invalid UTF-8 in a string is refused: overlong, surrogate, beyond U+10FFFF, truncated")
  func invalidUTF8() {
    let prefix = Array(#"{"actor":""#.utf8)
    let suffix = Array(
      #"","details":{},"event_type":"e","prev_hash":"\#(String(repeating: "0", count: 64))","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}"#
        .utf8)
    for bad: [UInt8] in [
      [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF], [0x80],
    ] {
      let line = signed(prefix + bad + suffix)
      #expect(!scans(line))
      #expect(check(line) == reference(line))
      guard case .bad = check(line) else {
        Issue.record("accepted \(bad)")
        continue
      }
    }
    let good = signed(prefix + [0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80] + suffix)
    #expect(scans(good))
    guard case .event = check(good) else {
      Issue.record("refused valid UTF-8")
      return
    }
  }

  @Test("a digest reads back from its hex and from its bytes")
  func digestForms() {
    let hex = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210"
    let digest = Digest256(hex: hex)
    #expect(digest?.hex == hex)
    let bytes: [UInt8] = stride(from: 0, to: 64, by: 2).map { offset in
      let index = hex.utf8.index(hex.utf8.startIndex, offsetBy: offset)
      return UInt8(String(hex[index..<hex.utf8.index(index, offsetBy: 2)]), radix: 16) ?? 0
    }
    #expect(bytes.withUnsafeBytes { Digest256(bytes: $0) } == digest)
    #expect(Digest256(hex: hex.uppercased()) == nil)
    #expect(Digest256(hex: String(hex.dropLast())) == nil)
  }
}
