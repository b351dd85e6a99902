import A0Core
import A0Lifecycle
import ArgumentParser

struct ExplainState: Operation {
  static let configuration = CommandConfiguration(
    commandName: "explain-state",
    abstract: "Explain the current state: why, what is blocked, what may come next and who may do it.",
    discussion: """
      Read-only; anyone may run it, in any state.

        $ a0 explain-state
      """)

  @OptionGroup var global: GlobalOptions

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    return ExplainOutput(state: machine.state)
  }
}

struct ExplainOutput: CommandOutput {
  let state: StateRecord

  var nextStates: [(state: LifecycleState, authority: RequiredAuthority, how: String)] {
    TransitionTable.allowedTargets(from: state.currentState).map { target in
      (
        target, TransitionAuthority.required(from: state.currentState, to: target),
        TransitionAuthority.command(from: state.currentState, to: target)
      )
    }
  }

  var blocked: [(command: String, why: String)] {
    ActionRules.all.compactMap { rule in ActionRules.blockReason(rule, in: state).map { (rule.command, $0) } }
  }

  var invariants: [String] {
    var active = [
      "one mutating a0 command at a time (flock on .billy/lock)",
      "every change is journaled before state.json is written",
      "only a human approves, confirms, clears failures, resets and grants",
    ]
    if state.currentState.isOperationActive {
      active.append("an operation is active, so active_operation is set")
    } else {
      active.append("no operation is active, so active_operation is null")
    }
    if state.currentState == .failedHard {
      active.append("FAILED_HARD: upgrades and rollbacks are locked; executor authority is revoked")
    }
    return active
  }

  var json: JSONValue {
    [
      "current_state": .string(state.currentState.rawValue), "entered_at": .string(state.enteredAt.iso8601),
      "previous_state": .optional(state.previousState?.rawValue),
      "reason_code": .optional(state.reasonCode?.rawValue),
      "authority_level": .string(state.authorityLevel.rawValue),
      "active_operation": state.json["active_operation"] ?? .null,
      "last_failure": state.json["last_failure"] ?? .null,
      "blocked_actions": .array(blocked.map { ["command": .string($0.command), "why": .string($0.why)] }),
      "next_states": .array(
        nextStates.map {
          [
            "state": .string($0.state.rawValue), "authority": .string($0.authority.rawValue),
            "how": .string($0.how),
          ]
        }),
      "invariants": .array(invariants.map(JSONValue.string)),
    ]
  }

  var text: String {
    var lines = [
      "Current state:   \(state.currentState.rawValue)",
      "Entered at:      \(state.enteredAt.iso8601)",
      "Reason:          \(state.reasonCode?.rawValue ?? "none (initial state)")",
      "Authority:       \(state.authorityLevel.rawValue) (the agent); humans prove themselves per command",
      "Active operation: "
        + (state.activeOperation.map {
          "\($0.type.rawValue) to \($0.targetVersion) since \($0.startedAt.iso8601)"
        }
          ?? "none"),
    ]
    if let failure = state.lastFailure {
      lines.append(
        "Last failure:    \(failure.error) (\(failure.state.rawValue)\(failure.cleared ? ", cleared" : ""))")
    }
    lines.append("")
    lines.append("Blocked actions:")
    lines += blocked.map { "  \($0.command): \($0.why)" }
    lines.append("")
    lines.append("Possible next states:")
    lines += nextStates.map { "  → \($0.state.rawValue) [\($0.authority.rawValue)] via \($0.how)" }
    lines.append("")
    lines.append("Active invariants:")
    lines += invariants.map { "  - \($0)" }
    return lines.joined(separator: "\n")
  }
}
