import A0Core
import Foundation
import Testing

/// A stand-in digest for pure chain tests (the real SHA-256 lives in
/// A0System and is tested there); any deterministic function of the bytes
/// shows the chain logic.
private func standIn(_ bytes: [UInt8]) -> String {
  var a: UInt64 = 0xcbf2_9ce4_8422_2325
  var b: UInt64 = 0x1000_0000_01b3
  for byte in bytes {
    a = (a ^ UInt64(byte)) &* 0x1000_0000_01b3
    b = (b &+ UInt64(byte)) &* 0x9E37_79B9_7F4A_7C15
  }
  let hex = String(a, radix: 16) + String(b, radix: 16)
  return String((String(repeating: "0", count: 64) + hex).suffix(64))
}

/// The stand-in as the verifier takes it: two runs hashed as one.
private let digest: SplitSHA256 = { first, second in
  Digest256(hex: standIn(Array(first) + Array(second))) ?? .zero
}

private func journal(_ count: Int) -> [[UInt8]] {
  var previous = AuditEvent.genesisHash
  return (1...count).map { seq in
    var event = AuditEvent(
      seq: Int64(seq), timestamp: Timestamp(millisecondsSinceEpoch: Int64(seq) * 1000), eventType: "test",
      actor: "system", details: ["n": .int(seq), "path": "a/b"], prevHash: previous)
    event.hash = standIn(event.hashInput)
    previous = event.hash
    return event.line
  }
}

@Suite("Journal chain")
struct AuditChainTests {
  @Test("an untouched journal verifies")
  func intact() {
    let result = AuditEvent.verifyChain(journal(5).flatMap { $0 }, sha256: digest)
    #expect(result.isIntact)
    #expect(result.eventCount == 5)
  }

  @Test("an edited field is caught at its line")
  func edited() {
    var lines = journal(5)
    lines[2] = Array(
      String(decoding: lines[2], as: UTF8.self).replacingOccurrences(of: "\"n\":3", with: "\"n\":4").utf8)
    #expect(AuditEvent.verifyChain(lines.flatMap { $0 }, sha256: digest).firstError?.line == 3)
    #expect(AuditEvent.verifyChain(lines.flatMap { $0 }, sha256: digest).firstError?.error == .hashMismatch)
  }

  @Test("a deleted line is caught where the chain breaks")
  func deleted() {
    var lines = journal(5)
    lines.remove(at: 1)
    let result = AuditEvent.verifyChain(lines.flatMap { $0 }, sha256: digest)
    #expect(result.firstError?.line == 2)
  }

  @Test("two swapped lines are caught")
  func swapped() {
    var lines = journal(5)
    lines.swapAt(1, 2)
    #expect(AuditEvent.verifyChain(lines.flatMap { $0 }, sha256: digest).firstError?.line == 2)
  }

  @Test("a truncated last line is reported as torn")
  func truncated() {
    var bytes = journal(3).flatMap { $0 }
    bytes.removeLast(10)
    let result = AuditEvent.verifyChain(bytes, sha256: digest)
    #expect(result.firstError?.line == 3)
    #expect(result.firstError?.error == .torn)
  }

  @Test("a line appended by hand without a valid hash is caught")
  func appended() {
    var bytes = journal(3).flatMap { $0 }
    bytes +=
      Array(
        #"{"actor":"agent:x","details":{},"event_type":"approval_granted","hash":"00","prev_hash":"00","seq":4,"timestamp":"2026-01-01T00:00:00.000Z"}"#
          .utf8) + [10]
    #expect(AuditEvent.verifyChain(bytes, sha256: digest).firstError?.line == 4)
  }

  @Test("a reformatted line (same content, other bytes) is caught")
  func reformatted() {
    var lines = journal(2)
    lines[1] = Array(String(decoding: lines[1], as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
    #expect(AuditEvent.verifyChain(lines.flatMap { $0 }, sha256: digest).firstError?.error == .notCanonical)
  }
}
