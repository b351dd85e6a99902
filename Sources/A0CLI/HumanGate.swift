import A0Core
import A0Lifecycle

/// The authority step of a command, in the order of DESIGN.md §5.
enum AuthorityGate {
  /// Resolves the caller and checks it is a human. When a human can be
  /// prompted, the state is checked first, so nobody types a confirmation
  /// for a command that cannot run; the error order stays that of the table
  /// for everyone else.
  ///
  /// `payload` is what a signature must cover; by default the command
  /// payload over this command, its arguments and the last change of state.
  static func requireHuman(
    _ machine: Machine, _ context: CommandContext, command: String, arguments: [String], action: String,
    word: String, payload: String? = nil, stateCheck: () throws(A0Error) -> Void
  ) throws -> Caller {
    try require(
      .human, machine, context, command: command, arguments: arguments, action: action, word: word,
      payload: payload, stateCheck: stateCheck)
  }

  /// The authority step of an action in `ActionRules`: the authority it
  /// needs and the name a signature covers come from the table.
  static func require(
    _ rule: Action, _ machine: Machine, _ context: CommandContext, arguments: [String], action: String,
    word: String, stateCheck: () throws(A0Error) -> Void
  ) throws -> Caller {
    try require(
      ActionRules.rule(rule).authority, machine, context, command: rule.rawValue, arguments: arguments,
      action: action, word: word, stateCheck: stateCheck)
  }

  /// The same for commands an executor agent may run: a human proves it
  /// only when the agent's authority is not enough.
  static func require(
    _ required: RequiredAuthority, _ machine: Machine, _ context: CommandContext, command: String,
    arguments: [String], action: String, word: String, payload: String? = nil,
    stateCheck: () throws(A0Error) -> Void
  ) throws -> Caller {
    let proof = context.proof(machine)
    try proof.checkOfferFitsMode()
    let signed =
      payload
      ?? CommandPayload.text(
        home: machine.paths.root, command: command, arguments: arguments,
        stateHead: machine.state.auditHash)
    if context.options.printPayload {
      // Thrown, not returned: the command must stop before any change.
      throw PayloadRequest(payload: signed)
    }
    if !proof.offer.isPresent && required.isSatisfied(by: machine.agentCaller) {
      return machine.agentCaller
    }
    if proof.canPrompt { try stateCheck() }
    let outcome = try proof.resolve(action: action, word: word, payload: signed)
    return try machine.authorize(outcome, needs: required, command: command)
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
