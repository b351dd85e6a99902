/// Who runs a command: the agent at its recorded level, or a human who
/// proved it for this command.
public enum Caller: Equatable, Sendable, CustomStringConvertible {
  case agent(name: String, level: AuthorityLevel)
  case human(identity: String)
  /// a0 itself, finishing or reversing what a dead command left.
  case system

  /// The journal's `actor` field.
  public var actor: String {
    switch self {
    case .agent(let name, _): "agent:\(name)"
    case .human(let identity): "human:\(identity)"
    case .system: "system"
    }
  }

  public var isHuman: Bool {
    if case .human = self { return true }
    return false
  }

  public var description: String { actor }
}

/// The least authority a command needs.
public enum RequiredAuthority: String, Sendable, Comparable {
  case observer
  case executor
  case human

  private var rank: Int {
    switch self {
    case .observer: 0
    case .executor: 1
    case .human: 2
    }
  }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

  /// Whether `caller` may run a command that needs this authority.
  public func isSatisfied(by caller: Caller) -> Bool {
    switch caller {
    case .human, .system: true
    case .agent(_, .executor): self <= .executor
    case .agent(_, .observer): self == .observer
    }
  }
}

/// The authority each transition needs, for `explain-state`.
public enum TransitionAuthority {
  public static func required(from: LifecycleState, to: LifecycleState) -> RequiredAuthority {
    switch (from, to) {
    case (.complete, .idle), (.failed, .idle), (.failedHard, .idle): .human
    case (_, .failedHard), (.idle, .failed): .observer  // forced by recovery, whoever runs it
    default: .executor
    }
  }

  /// The command that makes the move, for help texts.
  public static func command(from: LifecycleState, to: LifecycleState) -> String {
    switch (from, to) {
    case (.idle, .staging), (.failed, .staging): "a0 begin-staging VERSION (or a0 rollback)"
    case (.staging, .validating): "a0 begin-staging (when the build is published)"
    case (.staging, .failed): "a staging error or interrupt"
    case (.validating, .promoting): "a0 promote"
    case (.validating, .failed): "a failing a0 validate"
    case (.promoting, .complete): "a0 promote (healthy)"
    case (.promoting, .rollingBack): "a0 promote (unhealthy)"
    case (.complete, .idle): "a0 confirm, or a0 reset --reason"
    case (.rollingBack, .idle): "the automatic rollback (healthy)"
    case (.rollingBack, .failedHard): "the automatic rollback (failing)"
    case (.failed, .idle): "a0 clear-failure"
    case (.failedHard, .idle): "a0 reset --reason"
    case (.idle, .failed): "recovery finding an inconsistency"
    case (_, .failedHard): "recovery finding an integrity violation"
    default: "none"
    }
  }
}
