import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func open(_ paths: HomePaths) throws -> Machine {
  try Machine.openForMutation(
    paths: paths, command: "a0 test", waitSeconds: 0, world: World(clock: ManualClock()))
}

@Suite("Recovery")
struct RecoveryTests {
  static let corruptVariants: [(String, String)] = [
    ("empty", ""),
    ("truncated", #"{"current_state": "IDLE", "entered"#),
    ("not JSON", "<html>oops</html>"),
    ("wrong types", #"{"current_state": ["IDLE"]}"#),
    ("unknown state name", "UNKNOWN_STATE"),
    ("IDLE with an active operation", "IDLE+operation"),
    ("STAGING without an operation", "STAGING-operation"),
  ]

  @Test(
    "a corrupt state.json sends the machine to FAILED_HARD, keeps the file, journals state_corrupted",
    arguments: corruptVariants)
  func corruptState(label: String, variant: String) throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let executor = try TestHome.put(paths, state: .idle, authority: .executor)
    var content = variant
    switch variant {
    case "UNKNOWN_STATE":
      content = executor.json.prettyString.replacingOccurrences(of: "\"IDLE\"", with: "\"NAPPING\"")
    case "IDLE+operation":
      var record = executor
      record.activeOperation = ActiveOperation(
        type: .upgrade, targetVersion: "v1.0.0", startedAt: record.enteredAt)
      record.operationID = "op"
      content = record.json.prettyString
    case "STAGING-operation":
      var record = executor
      record.currentState = .staging
      record.previousState = .idle
      record.reasonCode = .approvalGranted
      content = record.json.prettyString
    default: break
    }
    try TestHome.write(paths.state, content)

    let machine = try open(paths)
    #expect(machine.state.currentState == .failedHard, "\(label)")
    #expect(machine.state.previousState == .idle)
    #expect(machine.state.reasonCode == .stateCorrupted)
    #expect(machine.state.locks.upgradeLocked && machine.state.locks.rollbackLocked)
    #expect(machine.state.authorityLevel == .observer)
    let kept = try FileIO.listDirectory(paths.billy).filter { $0.hasPrefix("state.json.corrupt-") }
    #expect(kept.count == 1)
    #expect(TestHome.read(paths.billy + "/" + kept[0]) == content)
    let last = try TestHome.journalEvents(paths).last!
    #expect(last.details["reason_code"] == "state_corrupted")
    #expect(last.details["authority_revoked"] == .bool(true))
    #expect(try Journal(path: paths.journal).verify().isIntact)
    machine.releaseLock()
    // The next command finds a consistent home and changes nothing.
    let again = try open(paths)
    #expect(again.state == machine.state)
    #expect(try TestHome.journalEvents(paths).count == (try Journal(path: paths.journal).verify().eventCount))
  }

  @Test("a state.json behind the journal is rewritten from it and an interrupted event is recorded")
  func stateBehind() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let old = TestHome.read(paths.state)
    try TestHome.put(paths, state: .complete)
    try TestHome.write(paths.state, old)  // as if the process died between the append and the write

    let machine = try open(paths)
    #expect(machine.state.currentState == .complete)
    #expect(machine.state.reasonCode == .healthCheckPassed)
    let events = try TestHome.journalEvents(paths)
    #expect(events.last?.eventType == "interrupted")
    #expect(machine.state.auditSeq == events.last?.seq)
    #expect(machine.recoveryNotes.count == 1)
  }

  @Test("a state.json ahead of the journal is an integrity violation")
  func stateAhead() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    var record = try TestHome.put(paths, state: .idle)
    record.auditSeq += 5
    try TestHome.write(paths.state, record.json.prettyString)
    let machine = try open(paths)
    #expect(machine.state.currentState == .failedHard)
    #expect(machine.state.reasonCode == .integrityViolation)
  }

  @Test("a state.json edited to executor, differing from its journal event, is an integrity violation")
  func stateEdited() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    var record = try TestHome.put(paths, state: .idle)
    record.authorityLevel = .executor
    try TestHome.write(paths.state, record.json.prettyString)
    let machine = try open(paths)
    #expect(machine.state.currentState == .failedHard)
    #expect(machine.state.authorityLevel == .observer)
    #expect(machine.state.lastFailure?.error.contains("differs") == true)
  }

  @Test("a torn last journal line is truncated and the repair journaled")
  func tornJournal() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let handle = FileHandle(forWritingAtPath: paths.journal)!
    handle.seekToEndOfFile()
    handle.write(Data(#"{"actor":"system","det"#.utf8))
    handle.closeFile()
    let machine = try open(paths)
    #expect(machine.state.currentState == .idle)
    let events = try TestHome.journalEvents(paths)
    #expect(events.last?.eventType == "journal_repaired")
    #expect(events.last?.details["removed_bytes"] == .int(22))
    #expect(try Journal(path: paths.journal).verify().isIntact)
  }

  @Test("a journal line appended by hand is an integrity violation")
  func forgedLine() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let handle = FileHandle(forWritingAtPath: paths.journal)!
    handle.seekToEndOfFile()
    handle.write(
      Data(
        (#"{"actor":"agent:x","details":{},"event_type":"approval_granted","hash":"00","prev_hash":"00","seq":2,"timestamp":"2026-01-01T00:00:00.000Z"}"#
          + "\n").utf8))
    handle.closeFile()
    let machine = try open(paths)
    #expect(machine.state.currentState == .failedHard)
    #expect(machine.state.reasonCode == .integrityViolation)
  }

  @Test("readers see a consistent home without taking the lock or writing anything")
  func readersDoNotWrite() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let holder = try HomeLock.acquire(
      path: paths.lock, command: "a0 holder", waitSeconds: 0, clock: SystemClock())
    let before = TestHome.read(paths.journal)
    let machine = try Machine.openForReading(paths: paths, command: "a0 status")
    #expect(machine.state.currentState == .idle)
    #expect(TestHome.read(paths.journal) == before)
    holder.release()
  }

  @Test("a reader repairs a corrupt state when the lock is free")
  func readerRepairs() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.write(paths.state, "{")
    let machine = try Machine.openForReading(paths: paths, command: "a0 status")
    #expect(machine.state.currentState == .failedHard)
    #expect(HomeLock.tryAcquire(path: paths.lock, command: "after") != nil)
  }
}
