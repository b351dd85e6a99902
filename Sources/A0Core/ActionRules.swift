/// The operations whose start the lifecycle rules: one name each, as the
/// CLI spells it.
public enum Action: String, CaseIterable, Sendable {
  case requestUpgrade = "request-upgrade"
  case approve
  case deny
  case beginStaging = "begin-staging"
  case upgrade
  case validate
  case promote
  case rollback
  case confirm
  case clearFailure = "clear-failure"
  case reset
  case cleanupArtifacts = "cleanup-artifacts"
  case grant
  case revoke
}

/// What an action needs to start: the authority, the states, and whether
/// FAILED_HARD's locks stop it.
public struct ActionRule: Equatable, Sendable {
  public var action: Action
  public var authority: RequiredAuthority
  public var states: Set<LifecycleState>
  /// Whether FAILED_HARD's upgrade lock blocks it (rollback lock for rollback).
  public var isLockedByUpgradeLock: Bool
  public var isLockedByRollbackLock: Bool

  public var command: String { action.rawValue }

  public init(
    _ action: Action, authority: RequiredAuthority, states: Set<LifecycleState>, upgradeLock: Bool = false,
    rollbackLock: Bool = false
  ) {
    self.action = action
    self.authority = authority
    self.states = states
    self.isLockedByUpgradeLock = upgradeLock
    self.isLockedByRollbackLock = rollbackLock
  }
}

/// The one table of which action may start in which state, with which
/// authority: `Machine`'s state checks, every command and `explain-state`
/// read it, beside the transition table.
public enum ActionRules {
  public static func rule(_ action: Action) -> ActionRule {
    let everyState = Set(LifecycleState.allCases)
    switch action {
    case .requestUpgrade:
      return ActionRule(action, authority: .observer, states: everyState, upgradeLock: true)
    case .approve: return ActionRule(action, authority: .human, states: everyState, upgradeLock: true)
    case .deny: return ActionRule(action, authority: .human, states: everyState)
    case .beginStaging, .upgrade:
      return ActionRule(action, authority: .executor, states: [.idle, .failed], upgradeLock: true)
    case .validate, .promote:
      return ActionRule(action, authority: .executor, states: [.validating], upgradeLock: true)
    case .rollback:
      return ActionRule(action, authority: .executor, states: [.idle, .failed], rollbackLock: true)
    case .confirm: return ActionRule(action, authority: .human, states: [.complete])
    case .clearFailure: return ActionRule(action, authority: .human, states: [.failed])
    case .reset: return ActionRule(action, authority: .human, states: [.complete, .failedHard])
    case .cleanupArtifacts:
      return ActionRule(action, authority: .executor, states: [.idle, .complete, .failed], upgradeLock: true)
    case .grant: return ActionRule(action, authority: .human, states: everyState.subtracting([.failedHard]))
    case .revoke: return ActionRule(action, authority: .human, states: everyState)
    }
  }

  public static let all: [ActionRule] = Action.allCases.map(rule)

  /// Promoting outside `[policy] promote_windows` (`promote --now`,
  /// `upgrade --now`): the window is the human's, so is leaving it.
  public static let promoteOutsideWindow = RequiredAuthority.human

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
