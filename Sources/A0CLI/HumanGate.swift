import A0Core
import A0Lifecycle

/// The authority step of a command, in the order of DESIGN.md §5.
enum AuthorityGate {
  /// Resolves the caller of `rule` and checks it holds the authority
  /// `ActionRules` gives the action: the agent's own when that suffices,
  /// otherwise a human's proof. When a human can be prompted, the state is
  /// checked first, so nobody types a confirmation for a command that
  /// cannot run; the error order stays that of the table for everyone else.
  ///
  /// `payload` is what a signature must cover; by default the command
  /// payload over the action's name, its arguments and the last change of state.
  /// `needs` raises the authority for an option only a human may use.
  static func require(
    _ rule: Action, _ machine: Machine, _ context: CommandContext, arguments: [String], action: String,
    word: String, payload: String? = nil, needs: RequiredAuthority? = nil,
    stateCheck: () throws(A0Error) -> Void
  ) throws -> Caller {
    let required = needs ?? ActionRules.rule(rule).authority
    let command = rule.rawValue
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
