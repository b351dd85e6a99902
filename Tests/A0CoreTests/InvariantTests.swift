import A0Core
import Testing

private let time = Timestamp(iso8601: "2026-01-01T00:00:00.000Z")!
private let hash = String(repeating: "a", count: 64)

private func sound(_ state: LifecycleState) -> StateRecord {
  var record = StateRecord(currentState: state, enteredAt: time, auditSeq: 3, auditHash: hash)
  if state.isOperationActive {
    record.activeOperation = ActiveOperation(type: .upgrade, targetVersion: "v1.2.0", startedAt: time)
    record.operationID = "op-1"
  }
  if state == .failed || state == .failedHard {
    record.lastFailure = FailureRecord(state: .staging, error: "boom", occurredAt: time)
  }
  if state == .failedHard {
    record.locks = Locks(upgradeLocked: true, rollbackLocked: true, lockReason: "boom")
  }
  return record
}

@Suite("State invariants")
struct InvariantTests {
  @Test("a sound record of every state breaks nothing", arguments: LifecycleState.allCases)
  func soundRecords(state: LifecycleState) {
    #expect(sound(state).invariantViolations().isEmpty)
  }

  @Test("IDLE with an active operation breaks invariant 2")
  func idleWithOperation() {
    var record = sound(.idle)
    record.activeOperation = ActiveOperation(type: .upgrade, targetVersion: "v1.0", startedAt: time)
    record.operationID = "op"
    #expect(record.invariantViolations() == [.operationWithoutActiveState(.idle)])
  }

  @Test("STAGING without an operation breaks invariant 2")
  func stagingWithoutOperation() {
    var record = sound(.staging)
    record.activeOperation = nil
    record.operationID = nil
    #expect(record.invariantViolations() == [.activeStateWithoutOperation(.staging)])
  }

  @Test("an operation id without an operation breaks invariant 2")
  func operationIDAlone() {
    var record = sound(.idle)
    record.operationID = "op"
    #expect(record.invariantViolations() == [.operationIDMismatch])
  }

  @Test("FAILED_HARD without locks breaks invariant 3")
  func failedHardUnlocked() {
    var record = sound(.failedHard)
    record.locks = Locks(upgradeLocked: true, rollbackLocked: false, lockReason: "x")
    #expect(record.invariantViolations() == [.failedHardNotLocked])
    record.locks = Locks(upgradeLocked: true, rollbackLocked: true, lockReason: "")
    #expect(record.invariantViolations() == [.failedHardNotLocked])
  }

  @Test("locks outside FAILED_HARD break invariant 3")
  func lockedElsewhere() {
    var record = sound(.idle)
    record.locks = Locks(upgradeLocked: true, rollbackLocked: false, lockReason: nil)
    #expect(record.invariantViolations() == [.lockedOutsideFailedHard(.idle)])
  }

  @Test("executor authority in FAILED_HARD breaks invariant 4")
  func executorInFailedHard() {
    var record = sound(.failedHard)
    record.authorityLevel = .executor
    #expect(record.invariantViolations() == [.executorInFailedHard])
  }

  @Test("a state no journal event backs breaks invariant 5")
  func missingAudit() {
    var record = sound(.idle)
    record.auditSeq = 0
    #expect(record.invariantViolations() == [.missingAuditReference])
    record.auditSeq = 1
    record.auditHash = "XYZ"
    #expect(record.invariantViolations() == [.missingAuditReference])
  }

  @Test("a target version that is no version breaks invariant 6")
  func badTarget() {
    var record = sound(.staging)
    record.activeOperation?.targetVersion = "main; rm -rf /"
    #expect(record.invariantViolations() == [.invalidTargetVersion("main; rm -rf /")])
  }

  @Test(
    "FAILED without an uncleared failure breaks invariant 7", arguments: [LifecycleState.failed, .failedHard])
  func failureMissing(state: LifecycleState) {
    var record = sound(state)
    record.lastFailure = nil
    #expect(record.invariantViolations() == [.failureNotRecorded(state)])
    record.lastFailure = FailureRecord(state: .staging, error: "x", occurredAt: time, cleared: true)
    #expect(record.invariantViolations() == [.failureNotRecorded(state)])
  }

  @Test("a reason that cannot lead to the state breaks invariant 8")
  func reasonMismatch() {
    var record = sound(.idle)
    record.reasonCode = .stagingCompleted
    #expect(record.invariantViolations() == [.reasonDoesNotLeadHere(reason: .stagingCompleted, state: .idle)])
  }

  @Test("a state that cannot follow its previous state breaks invariant 1")
  func unreachable() {
    var record = sound(.complete)
    record.previousState = .idle
    record.reasonCode = .healthCheckPassed
    #expect(record.invariantViolations() == [.unreachableState(previous: .idle, current: .complete)])
  }

  @Test("violations are numbered as in DESIGN.md")
  func numbering() {
    #expect(InvariantViolation.executorInFailedHard.invariant == 4)
    #expect(InvariantViolation.missingAuditReference.description.hasPrefix("invariant 5"))
  }
}
