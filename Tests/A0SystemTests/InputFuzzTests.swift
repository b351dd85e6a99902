import A0Core
import A0TestRandom
import A0TestSupport
import Testing

@testable import A0System

/// One to four byte-level edits drawn from an alphabet of the format's own
/// punctuation, so most mutants are near misses rather than noise.
private func mutate(_ bytes: [UInt8], _ generator: inout SplitMix64, alphabet: [UInt8]) -> [UInt8] {
  var bytes = bytes
  for _ in 0..<(1 + Int(generator.next() % 4)) {
    guard !bytes.isEmpty else { break }
    let at = Int(generator.next() % UInt64(bytes.count))
    let pick = alphabet[Int(generator.next() % UInt64(alphabet.count))]
    switch generator.next() % 5 {
    case 0: bytes[at] = pick
    case 1: bytes.insert(pick, at: at)
    case 2: bytes.remove(at: at)
    case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int(generator.next() % 12))], at: at)
    default: bytes.removeSubrange(at..<min(bytes.count, at + Int(generator.next() % 12)))
    }
  }
  return bytes
}

/// Feeds 6,000 mutants of a valid document to a reader: each is refused
/// with the reader's own error or read, and what is read must read back
/// to the same document. Returns how many were read.
private func roundTripMutants(
  of valid: JSONValue, seed: UInt64, alphabet: [UInt8], read: (JSONValue) throws -> JSONValue
) -> Int {
  var generator = SplitMix64(seed: seed)
  var count = 0
  for _ in 0..<6_000 {
    guard
      let json = try? JSONValue.parse(mutate(Array(valid.prettyString.utf8), &generator, alphabet: alphabet)),
      let document = try? read(json)
    else { continue }
    count += 1
    #expect((try? read(document)) == document)
  }
  return count
}

@Suite("Seeded fuzzing of the readers")
struct InputFuzzTests {
  @Test("config.toml: every mutant is read or refused with exit 65; what is read writes back the same")
  func config() {
    var generator = SplitMix64(seed: 81)
    let valid = Array(
      Config.defaults(upstream: "https://github.com/agent0ai/agent-zero.git", link: "agent-zero").toml.utf8)
    let alphabet = Array("[]=\"'.,#\n 0123456789-_abcxyz{}\\".utf8) + [0x00, 0xC3, 0xFF]
    var read = 0
    var refused = 0
    for _ in 0..<4_000 {
      let text = String(decoding: mutate(valid, &generator, alphabet: alphabet), as: UTF8.self)
      do throws(A0Error) {
        let config = try ConfigLoader.parse(text)
        read += 1
        #expect(try ConfigLoader.parse(config.toml) == config, "\(text)")
      } catch {
        refused += 1
        #expect(error.kind == .badInput, "\(error.message)")
      }
    }
    #expect(read > 100 && refused > 100)
  }

  @Test(
    "a bracket closing the other kind, or a header without a key, is refused before the TOML library (which aborts on them)",
    arguments: [
      "s = [1, }", "s = [}", "s = [[1, }]", "[upstream\nurl = {a = [1}", "[\n", "[.a]", "[#]", "[=]", "[[\n",
      "a = 1\n  [ #\n",
    ])
  func mismatchedBrackets(text: String) {
    #expect(throws: A0Error.self) { try ConfigLoader.parse(text) }
    #expect(TOMLBrackets.firstMismatch(text) != nil)
  }

  @Test("brackets inside strings and comments are not brackets")
  func bracketsInStrings() {
    for text in [
      "s = \"}[\"", "s = '[}'", "s = \"\"\"a\"}\"\"\"", "s = [1] # }", "s = \"\\\"}\"",
      "[a]\nt = {x = [1, {y = 2}]}",
    ] {
      #expect(TOMLBrackets.firstMismatch(text) == nil, "\(text)")
    }
  }

  @Test("state.json: every mutant is read or refused; what is read round-trips")
  func state() throws {
    let time = try #require(Timestamp(iso8601: "2026-01-01T00:00:00.000Z"))
    let record = StateRecord(
      currentState: .failed, enteredAt: time, previousState: .staging, authorityLevel: .executor,
      observedState: .consistent, lastFailure: FailureRecord(state: .staging, error: "e", occurredAt: time),
      reasonCode: .stagingFailed, auditSeq: 9, auditHash: String(repeating: "b", count: 64))
    let alphabet = Array("{}[]\",:0123456789-_ abefilnrstuAEFGILNOSTU\n\\".utf8) + [0xC3, 0xFF]
    let read = roundTripMutants(of: record.json, seed: 82, alphabet: alphabet) { json in
      try StateRecord(json: json).json
    }
    #expect(read > 100)
  }

  @Test("manifest.json: every mutant is read or refused; what is read round-trips")
  func manifest() throws {
    let manifest = Manifest(
      version: "v1.0.0", builtAt: "2026-01-01T00:00:00.000Z", sourceURL: "/srv/app.git",
      commitSHA: String(repeating: "a", count: 40), files: ["app.py": String(repeating: "c", count: 64)],
      treeHash: String(repeating: "d", count: 64), buildID: "20260101T000000.000Z-v1.0.0",
      buildLogPath: "builds/x/build.log", virtualenvHash: nil, python: "python3 3.11.2", installer: "uv")
    let alphabet = Array("{}[]\",:0123456789-_ ./abcdefnlu\n\\".utf8) + [0xC3, 0xFF]
    let read = roundTripMutants(of: manifest.json, seed: 83, alphabet: alphabet) { json in
      try Manifest(json: json).json
    }
    #expect(read > 100)
  }

  @Test("approval files: every mutant is read or refused; what is read round-trips")
  func approval() throws {
    let time = try #require(Timestamp(iso8601: "2026-01-01T00:00:00.000Z"))
    let record = ApprovalRecord(
      requestID: "req-20260101t000000000z-0a1b2c3d", version: "v1.2.0",
      commitSHA: String(repeating: "e", count: 40),
      kind: .upgrade, requester: "agent:agent-zero", requestedAt: time, reason: "new release",
      status: .approved,
      decision: ApprovalRecord.Decision(
        approved: true, by: "human:alice", at: time, reason: "ok", expiresAt: time.adding(seconds: 3600),
        proof: ["mode": "tty"], auditSeq: 7, bindingHash: String(repeating: "f", count: 64)))
    let alphabet = Array("{}[]\",:0123456789-_ .abdefilnoprstuvz\n\\".utf8) + [0xC3, 0xFF]
    let read = roundTripMutants(of: record.json, seed: 86, alphabet: alphabet) { json in
      try ApprovalRecord(json: json).json
    }
    #expect(read > 100)
  }

  @Test("the journal verifier: mutated journals never crash it and never pass unless unchanged")
  func journal() throws {
    var generator = SplitMix64(seed: 84)
    let scratch = ScratchDirectory()
    let journal = Journal(path: scratch.path + "/journal.log")
    for index in 1...40 {
      try journal.append(
        eventType: "fuzz", actor: "system", details: ["n": .int(index), "text": "é \"q\" \\ \n"],
        at: Timestamp(millisecondsSinceEpoch: Int64(index) * 1000))
    }
    let valid = try #require(try FileIO.read(journal.path))
    #expect(Journal.verifyChain(valid).isIntact)
    let alphabet = Array("{}[]\",:0123456789abcdef\n\\u".utf8) + [0xC3, 0xA9, 0xFF]
    for _ in 0..<1_500 {
      let bytes = mutate(valid, &generator, alphabet: alphabet)
      let result = Journal.verifyChain(bytes)
      if bytes != valid {
        // Any change is caught, except cutting whole lines off the end (which state.json's
        // audit_seq catches) — so an intact result must be a prefix of whole lines.
        if result.isIntact {
          #expect(valid.starts(with: bytes) && (bytes.isEmpty || bytes.last == UInt8(ascii: "\n")))
        }
      }
    }
  }

  @Test(
    "answers from a hostile server: negative, huge or truncated lengths and chunks are refused, not trusted",
    arguments: [
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nbody",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+1\r\nA\r\n0\r\n\r\n",
    ])
  func hostileAnswers(text: String) {
    let bytes = Array(text.utf8)
    #expect(PlainHTTP.completeResponse(bytes) == nil)
    _ = PlainHTTP.parseResponse(bytes, requireComplete: false)
  }

  @Test("HTTP answers: 20,000 mutants of plain and chunked responses never crash the reader")
  func httpAnswers() {
    var generator = SplitMix64(seed: 85)
    let valid = [
      Array("HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{\"status\": \"ok\"}".utf8),
      Array(
        "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
          .utf8),
    ]
    let alphabet = Array("0123456789abcdefABCDEF-+ :;\r\n\tHTP/.xz".utf8) + [0x00, 0xC3, 0xFF]
    var read = 0
    for index in 0..<20_000 {
      let bytes = mutate(valid[index % 2], &generator, alphabet: alphabet)
      if let response = PlainHTTP.completeResponse(bytes) {
        read += 1
        #expect(response.body.count <= bytes.count)
      }
      _ = PlainHTTP.parseResponse(bytes, requireComplete: false)
    }
    #expect(read > 100)
  }
}
