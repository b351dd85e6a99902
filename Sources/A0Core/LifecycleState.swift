/// The eight states of the lifecycle (DESIGN.md §2).
public enum LifecycleState: String, CaseIterable, Sendable, Comparable {
  case idle = "IDLE"
  case staging = "STAGING"
  case validating = "VALIDATING"
  case promoting = "PROMOTING"
  case complete = "COMPLETE"
  case rollingBack = "ROLLING_BACK"
  case failed = "FAILED"
  case failedHard = "FAILED_HARD"

  /// States in which an operation is under way; exactly these carry an
  /// `active_operation` (invariant 2).
  public var isOperationActive: Bool {
    switch self {
    case .staging, .validating, .promoting, .rollingBack: true
    case .idle, .complete, .failed, .failedHard: false
    }
  }

  /// The order of the lifecycle, for listings.
  private var rank: Int {
    switch self {
    case .idle: 0
    case .staging: 1
    case .validating: 2
    case .promoting: 3
    case .complete: 4
    case .rollingBack: 5
    case .failed: 6
    case .failedHard: 7
    }
  }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// What an active operation does.
public enum OperationType: String, CaseIterable, Sendable {
  case upgrade
  case rollback
}

/// The authority recorded for the agent. `human` is never recorded: a human
/// proves it for one command at a time.
public enum AuthorityLevel: String, CaseIterable, Sendable {
  case observer
  case executor
}

/// What `a0 verify` last found about production.
public enum ObservedState: String, CaseIterable, Sendable {
  case unknown = "UNKNOWN"
  case consistent = "CONSISTENT"
  case inconsistent = "INCONSISTENT"
}

/// Why a transition happened. The seed's eight come first, then those the
/// full lifecycle needs.
public enum ReasonCode: String, CaseIterable, Sendable {
  case approvalGranted = "approval_granted"
  case approvalDenied = "approval_denied"
  case validationError = "validation_error"
  case integrityViolation = "integrity_violation"
  case operatorReset = "operator_reset"
  case retryRequested = "retry_requested"
  case confirmationReceived = "confirmation_received"
  case humanClearedFailure = "human_cleared_failure"
  case stagingCompleted = "staging_completed"
  case stagingFailed = "staging_failed"
  case validationPassed = "validation_passed"
  case promotionStarted = "promotion_started"
  case healthCheckPassed = "health_check_passed"
  case healthCheckFailed = "health_check_failed"
  case rollbackCompleted = "rollback_completed"
  case rollbackFailed = "rollback_failed"
  case interrupted = "interrupted"
  case stateCorrupted = "state_corrupted"
  case rollbackRequested = "rollback_requested"
  case unauthorizedAttempt = "unauthorized_attempt"

  /// Reasons that force any state into FAILED_HARD: the home itself cannot
  /// be trusted any more.
  public var forcesFailedHard: Bool { self == .stateCorrupted || self == .integrityViolation }
}
