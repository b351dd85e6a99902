/// What each command may do in each state, for `explain-state` and for
/// the pre-checks of commands.
public struct ActionRule: Equatable, Sendable {
  public var command: String
  public var authority: RequiredAuthority
  public var states: Set<LifecycleState>
  /// Whether FAILED_HARD's upgrade lock blocks it (rollback lock for rollback).
  public var isLockedByUpgradeLock: Bool
  public var isLockedByRollbackLock: Bool

  public init(
    command: String, authority: RequiredAuthority, states: Set<LifecycleState>, upgradeLock: Bool = false,
    rollbackLock: Bool = false
  ) {
    self.command = command
    self.authority = authority
    self.states = states
    self.isLockedByUpgradeLock = upgradeLock
    self.isLockedByRollbackLock = rollbackLock
  }
}

public enum ActionRules {
  public static let all: [ActionRule] = [
    ActionRule(
      command: "request-upgrade", authority: .observer, states: Set(LifecycleState.allCases),
      upgradeLock: true),
    ActionRule(
      command: "approve", authority: .human, states: Set(LifecycleState.allCases), upgradeLock: true),
    ActionRule(command: "begin-staging", authority: .executor, states: [.idle, .failed], upgradeLock: true),
    ActionRule(command: "upgrade", authority: .executor, states: [.idle, .failed], upgradeLock: true),
    ActionRule(command: "validate", authority: .executor, states: [.validating], upgradeLock: true),
    ActionRule(command: "promote", authority: .executor, states: [.validating], upgradeLock: true),
    ActionRule(command: "rollback", authority: .executor, states: [.idle, .failed], rollbackLock: true),
    ActionRule(command: "confirm", authority: .human, states: [.complete]),
    ActionRule(command: "clear-failure", authority: .human, states: [.failed]),
    ActionRule(command: "reset", authority: .human, states: [.complete, .failedHard]),
    ActionRule(
      command: "cleanup-artifacts", authority: .executor, states: [.idle, .complete, .failed],
      upgradeLock: true),
    ActionRule(
      command: "grant", authority: .human, states: Set(LifecycleState.allCases).subtracting([.failedHard])),
    ActionRule(command: "revoke", authority: .human, states: Set(LifecycleState.allCases)),
  ]

  public static func rule(for command: String) -> ActionRule? { all.first { $0.command == command } }

  /// Why `rule` cannot run in `record`'s state, or nil when the state allows it.
  public static func blockReason(_ rule: ActionRule, in record: StateRecord) -> String? {
    if record.locks.upgradeLocked && rule.isLockedByUpgradeLock {
      return "upgrades are locked until a human runs `a0 reset` (see lock_reason)"
    }
    if record.locks.rollbackLocked && rule.isLockedByRollbackLock {
      return "rollbacks are locked until a human runs `a0 reset` (see lock_reason)"
    }
    if !rule.states.contains(record.currentState) {
      let states = rule.states.sorted().map(\.rawValue).joined(separator: ", ")
      return "runs only in \(states)"
    }
    return nil
  }
}
