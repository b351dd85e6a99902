/// One broken invariant of a state value, named so the error can say which.
///
/// The numbers follow DESIGN.md §2; the invariants that are about processes
/// rather than values (the lock, journal-before-state, atomic writes, the
/// corrupt-file rule) are kept by the store and checked by its tests, and
/// show here as the value-level traces they leave.
public enum InvariantViolation: Equatable, Sendable, CustomStringConvertible {
  /// 1: the state was reached by a move the table does not have.
  case unreachableState(previous: LifecycleState, current: LifecycleState)
  /// 2: an active operation outside STAGING…ROLLING_BACK.
  case operationWithoutActiveState(LifecycleState)
  /// 2: STAGING…ROLLING_BACK without an active operation.
  case activeStateWithoutOperation(LifecycleState)
  /// 2: an operation id without an operation, or the reverse.
  case operationIDMismatch
  /// 3: FAILED_HARD without every lock set and a reason.
  case failedHardNotLocked
  /// 3: locks set outside FAILED_HARD.
  case lockedOutsideFailedHard(LifecycleState)
  /// 4: executor authority survived FAILED_HARD.
  case executorInFailedHard
  /// 5: no journal event backs this state.
  case missingAuditReference
  /// 6: the target version is not a version.
  case invalidTargetVersion(String)
  /// 7: FAILED or FAILED_HARD without an uncleared failure on record.
  case failureNotRecorded(LifecycleState)
  /// 8: the recorded reason cannot lead to this state, so repeating its
  /// command could not be recognised as a no-op.
  case reasonDoesNotLeadHere(reason: ReasonCode, state: LifecycleState)

  public var invariant: Int {
    switch self {
    case .unreachableState: 1
    case .operationWithoutActiveState, .activeStateWithoutOperation, .operationIDMismatch: 2
    case .failedHardNotLocked, .lockedOutsideFailedHard: 3
    case .executorInFailedHard: 4
    case .missingAuditReference: 5
    case .invalidTargetVersion: 6
    case .failureNotRecorded: 7
    case .reasonDoesNotLeadHere: 8
    }
  }

  public var description: String {
    switch self {
    case .unreachableState(let previous, let current):
      "invariant 1: \(current.rawValue) cannot follow \(previous.rawValue)"
    case .operationWithoutActiveState(let state):
      "invariant 2: \(state.rawValue) has an active_operation but no operation may run in it"
    case .activeStateWithoutOperation(let state):
      "invariant 2: \(state.rawValue) needs an active_operation and has none"
    case .operationIDMismatch: "invariant 2: operation_id and active_operation must be set together"
    case .failedHardNotLocked:
      "invariant 3: FAILED_HARD must lock upgrade and rollback and give a lock_reason"
    case .lockedOutsideFailedHard(let state): "invariant 3: locks are set in \(state.rawValue)"
    case .executorInFailedHard: "invariant 4: executor authority must be revoked in FAILED_HARD"
    case .missingAuditReference: "invariant 5: audit_seq/audit_hash do not name a journal event"
    case .invalidTargetVersion(let version): "invariant 6: target_version \"\(version)\" is not a version"
    case .failureNotRecorded(let state): "invariant 7: \(state.rawValue) needs an uncleared last_failure"
    case .reasonDoesNotLeadHere(let reason, let state):
      "invariant 8: reason \(reason.rawValue) does not lead to \(state.rawValue)"
    }
  }
}

extension ReasonCode {
  /// The states a transition for this reason may end in. Reasons that record
  /// an event without moving (`approval_denied`, `unauthorized_attempt`,
  /// `interrupted` repairs) may stand beside any state.
  public var possibleResults: Set<LifecycleState> {
    switch self {
    case .approvalGranted, .retryRequested, .rollbackRequested: [.staging]
    case .stagingCompleted, .validationPassed: [.validating]
    case .stagingFailed, .validationError: [.failed]
    case .promotionStarted: [.promoting]
    case .healthCheckPassed: [.complete]
    case .healthCheckFailed: [.rollingBack]
    case .rollbackCompleted, .confirmationReceived, .operatorReset, .humanClearedFailure: [.idle]
    case .rollbackFailed, .stateCorrupted: [.failedHard]
    case .integrityViolation: [.failed, .failedHard]
    case .interrupted, .approvalDenied, .unauthorizedAttempt: Set(LifecycleState.allCases)
    }
  }
}

extension StateRecord {
  /// Every invariant this value breaks, in invariant order; empty when sound.
  public func invariantViolations(isValidVersion: (String) -> Bool = { Version(tag: $0) != nil })
    -> [InvariantViolation]
  {
    var violations: [InvariantViolation] = []
    if let previousState, previousState != currentState,
      !TransitionTable.permits(from: previousState, to: currentState, reason: reasonCode ?? .interrupted)
    {
      violations.append(.unreachableState(previous: previousState, current: currentState))
    }
    if currentState.isOperationActive && activeOperation == nil {
      violations.append(.activeStateWithoutOperation(currentState))
    }
    if !currentState.isOperationActive && activeOperation != nil {
      violations.append(.operationWithoutActiveState(currentState))
    }
    if (operationID == nil) != (activeOperation == nil) { violations.append(.operationIDMismatch) }
    let anyLock = locks.upgradeLocked || locks.rollbackLocked
    if currentState == .failedHard {
      if !(locks.upgradeLocked && locks.rollbackLocked && !(locks.lockReason ?? "").isEmpty) {
        violations.append(.failedHardNotLocked)
      }
      if authorityLevel == .executor { violations.append(.executorInFailedHard) }
    } else if anyLock {
      violations.append(.lockedOutsideFailedHard(currentState))
    }
    if auditSeq < 1 || !Self.isSHA256Hex(auditHash) { violations.append(.missingAuditReference) }
    if let target = activeOperation?.targetVersion, !isValidVersion(target) {
      violations.append(.invalidTargetVersion(target))
    }
    if currentState == .failed || currentState == .failedHard {
      if lastFailure == nil || lastFailure?.cleared == true {
        violations.append(.failureNotRecorded(currentState))
      }
    }
    if let reasonCode, !reasonCode.possibleResults.contains(currentState) {
      violations.append(.reasonDoesNotLeadHere(reason: reasonCode, state: currentState))
    }
    return violations
  }

  static func isSHA256Hex(_ text: String) -> Bool {
    text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
  }
}
