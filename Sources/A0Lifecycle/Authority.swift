import A0Core
import A0System

/// How a caller proves it is a human for one command (DESIGN.md §5).
public struct HumanProof {
  public let config: Config
  public let terminal: any Terminal
  public let isJSON: Bool
  public let identity: () -> String

  public init(config: Config, terminal: any Terminal, isJSON: Bool, identity: @escaping () -> String) {
    self.config = config
    self.terminal = terminal
    self.isJSON = isJSON
    self.identity = identity
  }

  /// Whether a prompt may be shown: `tty` mode, both ends terminals, no `--json`.
  public var canPrompt: Bool { config.humans.proof == .tty && terminal.isInteractive && !isJSON }

  /// Asks the human to type `word` back. A program can fake a terminal, so
  /// this guards against mistakes, not against a hostile agent; the
  /// `ssh-signature` mode is the security boundary.
  public func resolveCaller(for action: String, word: String, state: StateRecord) throws(A0Error) -> Caller {
    let agent = Caller.agent(name: config.agent.name, level: state.authorityLevel)
    guard canPrompt else { return agent }
    let answer = terminal.ask("\(action)\nType \(word) to confirm you are a human operator: ")
    guard answer?.trimmingWhitespace == word else {
      throw A0Error(
        .authorityDenied, "not confirmed", why: "the text typed was not \(word)",
        next: "Run the command again and type \(word) exactly", authorityRequired: .human)
    }
    return .human(identity: identity())
  }
}

extension String {
  var trimmingWhitespace: String {
    var scalars = Substring(self)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
  }
}

extension Machine {
  /// The authority gate. An agent calling a human-only command is an
  /// unauthorized attempt: journaled, and executor authority is revoked.
  public func authorize(_ caller: Caller, needs required: RequiredAuthority, command: String) throws(A0Error)
  {
    guard !required.isSatisfied(by: caller) else { return }
    var details: [String: JSONValue] = [
      "command": .string(command), "required": .string(required.rawValue),
      "authority_level": .string(state.authorityLevel.rawValue),
    ]
    if required == .human {
      let revoke = state.authorityLevel == .executor
      details["reason_code"] = .string(ReasonCode.unauthorizedAttempt.rawValue)
      details["authority_revoked"] = .bool(revoke)
      if revoke {
        try updateState(
          eventType: ReasonCode.unauthorizedAttempt.rawValue, actor: caller.actor, details: details
        ) {
          $0.authorityLevel = .observer
        }
      } else {
        try record(eventType: ReasonCode.unauthorizedAttempt.rawValue, actor: caller.actor, details: details)
      }
    } else {
      try record(eventType: "authority_denied", actor: caller.actor, details: details)
    }
    let proofHint =
      config.humans.proof == .tty
      ? "A human runs it at a terminal (stdin and stdout a tty, without --json) and types the word it asks for"
      : "A human runs it with --key FILE or --signature FILE (humans.proof = ssh-signature)"
    throw A0Error(
      .authorityDenied, "`a0 \(command)` needs \(required.rawValue) authority",
      why: "the caller is \(caller.actor) at \(state.authorityLevel.rawValue)"
        + (required == .human && state.authorityLevel == .executor
          ? "; executor authority has been revoked" : ""),
      next: required == .human ? proofHint : "A human can grant it with `a0 grant executor --reason TEXT`",
      authorityRequired: required)
  }
}
