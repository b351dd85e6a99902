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
    let schedule = machine.config.policy.promoteSchedule
    return ExplainOutput(
      state: machine.state, windows: schedule.windows.isEmpty ? nil : schedule.summary,
      windowWait: PromotionWindow(machine: machine).wait())
  }
}

struct ExplainOutput: CommandOutput {
  let state: StateRecord
  /// `[policy] promote_windows`, when there are any.
  var windows: String? = nil
  /// When a promotion would wait for its window now.
  var windowWait: PromotionWindow.Wait? = nil

  var windowBlock: (command: String, why: String)? {
    guard let wait = windowWait, ActionRules.blockReason(ActionRules.rule(.promote), in: state) == nil else {
      return nil
    }
    return (
      "promote",
      "promotion waits for the window \(wait.windows), "
        + (wait.opensAtWall.map { "opening \($0)" } ?? "which opens on no day in two weeks")
        + "; a human may promote at once with --now"
    )
  }

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
      + (windowBlock.map { [$0] } ?? [])
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
      "promote_windows": windows.map { summary in
        [
          "windows": .string(summary), "open_now": .bool(windowWait == nil),
          "opens_at": .optional(windowWait?.opensAt?.iso8601),
        ]
      } ?? .null,
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
    if let windows {
      lines.append(
        "Promote windows: \(windows), "
          + (windowWait == nil
            ? "open now" : "closed now, opening \(windowWait?.opensAtWall ?? "on no day in two weeks")"))
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
