import A0Core
import A0Lifecycle
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// A clock tests move by hand.
public final class ManualClock: Clock, @unchecked Sendable {
  private var current: Int64

  public init(_ start: Timestamp = Timestamp(iso8601: "2026-11-25T09:00:00.000Z")!) {
    current = start.millisecondsSinceEpoch
  }

  public func now() -> Timestamp { Timestamp(millisecondsSinceEpoch: current) }
  public func advance(seconds: Int64) { current += seconds * 1000 }
}

/// A terminal with scripted answers.
public struct FakeTerminal: Terminal {
  public var isInteractive: Bool
  public var isErrorTerminal = false
  public var errorColumns: Int? = nil
  public var answer: String?

  public init(isInteractive: Bool, answer: String? = nil) {
    self.isInteractive = isInteractive
    self.answer = answer
  }

  public func ask(_ prompt: String) -> String? { answer }
}

/// A scratch directory, removed when the value is released.
public final class ScratchDirectory {
  public let path: String

  public init(_ label: String = "a0test") {
    var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    path =
      made.map { String(cString: $0) } ?? "/tmp/\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    if made == nil { _ = mkdir(path, 0o755) }
  }

  deinit { try? FileIO.removeTree(path) }
}

/// Builds homes in any state, consistently: through the real initializer,
/// then one journal event carrying the wanted state, then state.json — the
/// same order a0 writes in.
public enum TestHome {
  public static func create(in directory: String, clock: any Clock = ManualClock()) throws -> HomePaths {
    let root = directory + "/home"
    _ = try HomeInitializer.initialize(
      root: root, upstream: "https://example.invalid/app.git", link: "app", actor: "human:test", clock: clock)
    return HomePaths(root: root)
  }

  /// A sound record in `state`, with whatever that state requires.
  public static func record(
    _ state: LifecycleState, at time: Timestamp, authority: AuthorityLevel = .observer
  )
    -> StateRecord
  {
    var record = StateRecord(currentState: state, enteredAt: time, authorityLevel: authority)
    let previous: [LifecycleState: (LifecycleState, ReasonCode)] = [
      .staging: (.idle, .approvalGranted), .validating: (.staging, .stagingCompleted),
      .promoting: (.validating, .promotionStarted), .complete: (.promoting, .healthCheckPassed),
      .rollingBack: (.promoting, .healthCheckFailed), .failed: (.validating, .validationError),
      .failedHard: (.rollingBack, .rollbackFailed),
    ]
    if let (from, reason) = previous[state] {
      record.previousState = from
      record.reasonCode = reason
    }
    if state.isOperationActive {
      record.activeOperation = ActiveOperation(type: .upgrade, targetVersion: "v1.1.0", startedAt: time)
      record.operationID = "op-test"
    }
    if state == .failed || state == .failedHard {
      record.lastFailure = FailureRecord(state: .validating, error: "test failure", occurredAt: time)
    }
    if state == .failedHard {
      record.authorityLevel = .observer
      record.locks = Locks(upgradeLocked: true, rollbackLocked: true, lockReason: "test failure")
    }
    return record
  }

  /// Puts the home into `record`'s state: journal first, then state.json.
  @discardableResult
  public static func put(_ paths: HomePaths, _ record: StateRecord, clock: any Clock = ManualClock()) throws
    -> StateRecord
  {
    let journal = Journal(path: paths.journal)
    let event = try journal.append(
      eventType: "test_fixture", actor: "system",
      details: ["state_after": record.withoutAuditReference.stateAfterJSON], at: clock.now())
    var written = record
    written.auditSeq = event.seq
    written.auditHash = event.hash
    try StateStore(path: paths.state).save(written)
    return written
  }

  @discardableResult
  public static func put(_ paths: HomePaths, state: LifecycleState, authority: AuthorityLevel = .observer)
    throws
    -> StateRecord
  {
    let clock = ManualClock()
    return try put(paths, record(state, at: clock.now(), authority: authority), clock: clock)
  }

  public static func read(_ path: String) -> String {
    (try? FileIO.read(path)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  public static func write(_ path: String, _ text: String) throws {
    try FileIO.writeAtomically(path, Array(text.utf8))
  }

  public static func journalEvents(_ paths: HomePaths) throws -> [AuditEvent] {
    try Journal(path: paths.journal).lastEvents(limit: 100_000)
  }
}

extension TestHome {
  /// The build directories a home holds, published or not.
  public static func builds(_ paths: HomePaths) -> [String] {
    ((try? FileIO.listDirectory(paths.builds)) ?? []).sorted()
  }
}
