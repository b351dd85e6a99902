import A0Core
import A0System
import A0TestSupport
import Testing

@Suite("State store")
struct StateStoreTests {
  @Test("a saved state loads back equal, and no temporary file stays behind")
  func saveAndLoad() throws {
    let scratch = ScratchDirectory()
    let store = StateStore(path: scratch.path + "/state.json")
    var record = StateRecord.initial(at: ManualClock().now())
    record.auditSeq = 1
    record.auditHash = String(repeating: "c", count: 64)
    try store.save(record)
    guard case .valid(let loaded) = store.load() else {
      Issue.record("not valid")
      return
    }
    #expect(loaded == record)
    #expect(try FileIO.listDirectory(scratch.path) == ["state.json"])
  }

  @Test("a state that breaks an invariant is never written")
  func refusesInvalid() throws {
    let scratch = ScratchDirectory()
    let store = StateStore(path: scratch.path + "/state.json")
    var record = StateRecord(currentState: .staging, enteredAt: ManualClock().now())
    record.auditSeq = 1
    record.auditHash = String(repeating: "c", count: 64)
    #expect(throws: A0Error.self) { try store.save(record) }
    #expect(!FileIO.exists(store.path))
  }

  static let corruptVariants: [(String, String)] = [
    ("empty", ""),
    ("truncated", #"{"current_state": "IDLE", "entered_at""#),
    ("not JSON", "state: IDLE\n"),
    ("binary", "\u{00}\u{01}\u{02}"),
    ("wrong types", #"{"current_state": 1}"#),
  ]

  @Test("corrupt files are reported as corrupt, never as a state", arguments: corruptVariants)
  func corrupt(label: String, content: String) throws {
    let scratch = ScratchDirectory()
    let store = StateStore(path: scratch.path + "/state.json")
    try TestHome.write(store.path, content)
    guard case .corrupt = store.load() else {
      Issue.record("\(label) was not reported as corrupt")
      return
    }
  }

  @Test("a missing file is reported as missing")
  func missing() {
    let scratch = ScratchDirectory()
    guard case .missing = StateStore(path: scratch.path + "/state.json").load() else {
      Issue.record("not missing")
      return
    }
  }

  @Test("quarantine keeps the bad file under a dated name")
  func quarantine() throws {
    let scratch = ScratchDirectory()
    let store = StateStore(path: scratch.path + "/state.json")
    try TestHome.write(store.path, "garbage")
    let kept = try store.quarantine(at: ManualClock().now())
    #expect(kept.hasSuffix("state.json.corrupt-20261125T090000.000Z"))
    #expect(TestHome.read(kept) == "garbage")
    #expect(!FileIO.exists(store.path))
  }
}
