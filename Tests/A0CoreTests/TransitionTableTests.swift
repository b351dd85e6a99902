import A0Core
import Testing

/// The table of DESIGN.md §2, written out independently of the code.
private let expectedAllowed: Set<String> = [
  "IDLE>STAGING", "IDLE>FAILED", "IDLE>FAILED_HARD",
  "STAGING>VALIDATING", "STAGING>FAILED",
  "VALIDATING>PROMOTING", "VALIDATING>FAILED",
  "PROMOTING>COMPLETE", "PROMOTING>ROLLING_BACK",
  "COMPLETE>IDLE",
  "ROLLING_BACK>IDLE", "ROLLING_BACK>FAILED_HARD",
  "FAILED>IDLE", "FAILED>STAGING",
  "FAILED_HARD>IDLE",
]

private let allPairs: [(LifecycleState, LifecycleState)] = LifecycleState.allCases.flatMap { from in
  LifecycleState.allCases.map { to in (from, to) }
}

private let time = Timestamp(iso8601: "2026-01-01T00:00:00.000Z")!

@Suite("Transition table")
struct TransitionTableTests {
  @Test("there are exactly 64 pairs to decide")
  func pairCount() {
    #expect(allPairs.count == 64)
  }

  @Test("each of the 64 (from, to) pairs is allowed exactly when DESIGN.md lists it", arguments: allPairs)
  func pair(from: LifecycleState, to: LifecycleState) {
    let listed = expectedAllowed.contains("\(from.rawValue)>\(to.rawValue)")
    #expect(TransitionTable.permits(from: from, to: to, reason: .retryRequested) == listed)
    var record = StateRecord(currentState: from, enteredAt: time)
    record.reasonCode = nil
    switch TransitionTable.decide(record, to: to, reason: .retryRequested) {
    case .apply: #expect(listed)
    case .refused(let refusedFrom, let allowed):
      #expect(!listed)
      #expect(refusedFrom == from)
      #expect(Set(allowed.map { "\(from.rawValue)>\($0.rawValue)" }).isSubset(of: expectedAllowed))
      #expect(allowed.count == expectedAllowed.filter { $0.hasPrefix(from.rawValue + ">") }.count)
    case .alreadyDone: Issue.record("a state with no reason cannot be a repeat")
    }
  }

  @Test(
    "state_corrupted and integrity_violation force FAILED_HARD from any state",
    arguments: LifecycleState.allCases)
  func forced(from: LifecycleState) {
    #expect(TransitionTable.permits(from: from, to: .failedHard, reason: .stateCorrupted))
    #expect(TransitionTable.permits(from: from, to: .failedHard, reason: .integrityViolation))
    #expect(
      TransitionTable.permits(from: from, to: .failedHard, reason: .rollbackFailed)
        == (from == .idle || from == .rollingBack))
  }

  @Test(
    "repeating the transition that produced the current state is a no-op", arguments: Array(expectedAllowed))
  func idempotent(pair: String) {
    let parts = pair.split(separator: ">").map(String.init)
    let to = LifecycleState(rawValue: parts[1])!
    for reason in ReasonCode.allCases where reason.possibleResults.contains(to) {
      let record = StateRecord(currentState: to, enteredAt: time, reasonCode: reason)
      #expect(TransitionTable.decide(record, to: to, reason: reason) == .alreadyDone)
    }
  }

  @Test("the same target for another reason is not a repeat")
  func notARepeat() {
    let record = StateRecord(currentState: .idle, enteredAt: time, reasonCode: .rollbackCompleted)
    #expect(TransitionTable.decide(record, to: .idle, reason: .confirmationReceived) != .alreadyDone)
  }

  @Test("active states are exactly STAGING, VALIDATING, PROMOTING and ROLLING_BACK")
  func activeStates() {
    #expect(
      LifecycleState.allCases.filter(\.isOperationActive) == [
        .staging, .validating, .promoting, .rollingBack,
      ])
  }

  @Test("reason codes include the seed's eight and the lifecycle's")
  func reasonCodes() {
    let names = Set(ReasonCode.allCases.map(\.rawValue))
    for seed in [
      "approval_granted", "approval_denied", "validation_error", "integrity_violation", "operator_reset",
      "retry_requested", "confirmation_received", "human_cleared_failure", "staging_completed",
      "staging_failed",
      "validation_passed", "promotion_started", "health_check_passed", "health_check_failed",
      "rollback_completed",
      "rollback_failed", "interrupted", "state_corrupted", "rollback_requested", "unauthorized_attempt",
    ] {
      #expect(names.contains(seed), "\(seed)")
    }
  }
}
