import A0Core
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Journal on disk")
struct JournalTests {
  @Test("a journal large enough to be checked on all cores gives the one-core answer, damaged or not")
  func parallelVerification() throws {
    let scratch = ScratchDirectory()
    let journal = Journal(path: scratch.path + "/journal.log")
    for index in 1...5_000 {
      try journal.append(
        eventType: "bulk", actor: "system",
        details: ["n": .int(index), "padding": .string(String(repeating: "p", count: 120))],
        at: Timestamp(millisecondsSinceEpoch: Int64(index)))
    }
    let bytes = try #require(try FileIO.read(journal.path))
    #expect(bytes.count > 1 << 20)
    let oneCore = { (bytes: [UInt8]) in AuditEvent.verifyChain(bytes, sha256: Digest.sha256Split) }
    let intact = Journal.verifyChain(bytes)
    #expect(intact.isIntact && intact.eventCount == 5_000)
    #expect(intact == oneCore(bytes))
    // Damage at the start, around each run boundary, and at the end.
    let lineStarts = [0] + bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }.map { $0 + 1 }.dropLast()
    for line in [0, 1_249, 1_250, 2_500, 2_501, 3_749, 4_999] {
      var edited = bytes
      edited[lineStarts[line] + 20] ^= 0x01
      let result = Journal.verifyChain(edited)
      #expect(result.firstError?.line == line + 1, "line \(line + 1)")
      #expect(result == oneCore(edited))
    }
    let torn = Array(bytes.dropLast(7))
    #expect(Journal.verifyChain(torn).firstError?.error == .torn)
    #expect(Journal.verifyChain(torn) == oneCore(torn))
  }

  @Test("appended events chain, verify, and are read back from the tail")
  func appendAndTail() throws {
    let scratch = ScratchDirectory()
    let journal = Journal(path: scratch.path + "/log")
    let clock = ManualClock()
    for index in 1...300 {
      let details: [String: JSONValue] =
        index % 100 == 0 ? ["state_after": ["n": .int(index)]] : ["n": .int(index)]
      try journal.append(eventType: "e", actor: "system", details: details, at: clock.now())
    }
    let tail = try Journal(path: journal.path).readTail()
    #expect(tail.lastEvent?.seq == 300)
    #expect(tail.lastStateEvent?.seq == 300)
    #expect(tail.tornByteCount == 0)
    #expect(try journal.verify().isIntact)
    #expect(try journal.verify().eventCount == 300)
    let last = try journal.lastEvents(limit: 3)
    #expect(last.map(\.seq) == [298, 299, 300])
  }

  @Test("the last state event is found behind later events, across read chunks")
  func stateBehindOthers() throws {
    let scratch = ScratchDirectory()
    let journal = Journal(path: scratch.path + "/log")
    try journal.append(
      eventType: "s", actor: "system", details: ["state_after": ["x": 1]], at: ManualClock().now())
    let filler = String(repeating: "x", count: 1000)
    for _ in 0..<200 {
      try journal.append(
        eventType: "e", actor: "system", details: ["pad": .string(filler)], at: ManualClock().now())
    }
    let tail = try journal.readTail()
    #expect(tail.lastStateEvent?.seq == 1)
    #expect(tail.lastEvent?.seq == 201)
  }

  @Test("the hash is SHA-256 of the canonical event without its hash, as Python computes it")
  func pythonAgrees() throws {
    let scratch = ScratchDirectory()
    let journal = Journal(path: scratch.path + "/log")
    try journal.append(
      eventType: "e", actor: "human:ané", details: ["url": "https://x/y", "q": "\"\n\u{01}"],
      at: ManualClock().now())
    try journal.append(eventType: "f", actor: "system", details: [:], at: ManualClock().now())
    let script = """
      import json, hashlib, sys
      prev = "0" * 64
      for line in open(sys.argv[1], "rb"):
          event = json.loads(line)
          digest = event.pop("hash")
          canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
          assert hashlib.sha256(canonical.encode()).hexdigest() == digest
          assert event["prev_hash"] == prev
          prev = digest
      print("ok")
      """
    let result = try TestProcess.run(["python3", "-c", script, journal.path])
    #expect(result.status == 0)
    #expect(result.stdout == "ok\n")
  }

  @Test("a torn last line is reported by the tail and cut off exactly")
  func tornTail() throws {
    let scratch = ScratchDirectory()
    let journal = Journal(path: scratch.path + "/log")
    try journal.append(
      eventType: "e", actor: "system", details: ["state_after": [:]], at: ManualClock().now())
    let good = try FileIO.read(journal.path)!
    let handle = FileHandle(forWritingAtPath: journal.path)!
    handle.seekToEndOfFile()
    handle.write(Data(#"{"actor":"sys"#.utf8))
    handle.closeFile()
    let tail = try journal.readTail()
    #expect(tail.tornByteCount == 13)
    #expect(tail.lastEvent?.seq == 1)
    _ = try journal.truncateTornTail(byteCount: tail.tornByteCount)
    #expect(try FileIO.read(journal.path)! == good)
  }

  @Test("a journal that cannot be written fails the append and keeps no partial line")
  func unwritable() throws {
    let journal = Journal(path: "/proc/a0-no-such-dir/log")
    #expect(throws: A0Error.self) {
      try journal.append(eventType: "e", actor: "system", details: [:], at: ManualClock().now())
    }
  }
}

/// Runs a program and collects its output, for tests.
enum TestProcess {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws
    -> Result
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    input.fileHandleForWriting.closeFile()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }
}
