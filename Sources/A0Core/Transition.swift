/// The transition table of DESIGN.md §2, in one place.
public enum TransitionTable {
  /// Chosen transitions: every pair a command may ask for.
  public static let allowed: [LifecycleState: Set<LifecycleState>] = [
    .idle: [.staging, .failed, .failedHard],
    .staging: [.validating, .failed],
    .validating: [.promoting, .failed],
    .promoting: [.complete, .rollingBack],
    .complete: [.idle],
    .rollingBack: [.idle, .failedHard],
    .failed: [.idle, .staging],
    .failedHard: [.idle],
  ]

  public static func allowedTargets(from state: LifecycleState) -> [LifecycleState] {
    (allowed[state] ?? []).sorted()
  }

  /// Whether `from → to` is in the table, or is the forced move to
  /// FAILED_HARD that a `state_corrupted` / `integrity_violation` makes from
  /// any state.
  public static func permits(from: LifecycleState, to: LifecycleState, reason: ReasonCode) -> Bool {
    if to == .failedHard && reason.forcesFailedHard { return true }
    return allowed[from]?.contains(to) ?? false
  }
}

/// What to do with a requested transition.
public enum TransitionDecision: Equatable, Sendable {
  /// Apply it: journal, then state.
  case apply
  /// The state already is the result of this very transition (invariant 8):
  /// succeed without a second effect.
  case alreadyDone
  /// Not allowed from here; the allowed next states are named.
  case refused(from: LifecycleState, allowed: [LifecycleState])
}

extension TransitionTable {
  /// Decides a transition to `target` for `reason` from `record`.
  ///
  /// Repeating the command that produced the current state is a no-op: the
  /// state is `target`, reached for the same reason.
  public static func decide(_ record: StateRecord, to target: LifecycleState, reason: ReasonCode)
    -> TransitionDecision
  {
    if record.currentState == target && record.reasonCode == reason { return .alreadyDone }
    if permits(from: record.currentState, to: target, reason: reason) { return .apply }
    return .refused(from: record.currentState, allowed: allowedTargets(from: record.currentState))
  }
}
