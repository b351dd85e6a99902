import A0Core
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Journal on disk")
struct JournalTests {
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
