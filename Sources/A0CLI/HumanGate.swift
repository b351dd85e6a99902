import A0Core
import A0Lifecycle

/// The authority step of a human-only command, in the order of DESIGN.md §5.
enum HumanGate {
  /// Resolves the caller and checks it is a human. When a human can be
  /// prompted, the state is checked first, so nobody types a confirmation
  /// for a command that cannot run; the error order stays that of the table
  /// for everyone else.
  static func requireHuman(
    _ machine: Machine, _ context: CommandContext, command: String, action: String, word: String,
    stateCheck: () throws(A0Error) -> Void
  ) throws(A0Error) -> Caller {
    let proof = context.proof(machine)
    if proof.canPrompt { try stateCheck() }
    let caller = try proof.resolveCaller(for: action, word: word, state: machine.state)
    try machine.authorize(caller, needs: .human, command: command)
    return caller
  }
}

/// The output of a transition command.
struct TransitionOutput: CommandOutput {
  let command: String
  let outcome: Machine.Outcome
  let state: StateRecord
  var extra: [String: JSONValue] = [:]
  var summary: String

  var json: JSONValue {
    var members = extra
    members["current_state"] = .string(state.currentState.rawValue)
    members["previous_state"] = .optional(state.previousState?.rawValue)
    members["reason_code"] = .optional(state.reasonCode?.rawValue)
    members["already_done"] = .bool(outcome == .alreadyDone)
    if case .applied(let event) = outcome { members["audit_seq"] = .int(event.seq) }
    return .object(members)
  }

  var text: String {
    outcome == .alreadyDone
      ? "Nothing to do: the state is already \(state.currentState.rawValue) (\(state.reasonCode?.rawValue ?? "")).\n"
      : summary
  }
}
