import A0Core
import A0Lifecycle
import ArgumentParser

struct Grant: Operation {
  static let configuration = CommandConfiguration(
    commandName: "grant",
    abstract: "Grant the agent executor authority (human only).",
    discussion: """
      Executor lets the agent stage, validate, promote and roll back approved versions; it never lets
      it approve, confirm, clear failures, reset or grant. Granting needs an intact journal with one
      completed upgrade and one completed rollback, or --bootstrap on a home that never had executor.
      It is revoked automatically on an integrity violation, on FAILED_HARD, and on any unauthorized
      attempt.

        $ a0 grant executor --reason "lifecycle proven on this host"
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The level to grant: executor.")
  var level: String

  @Option(help: "Why; journaled. Required.")
  var reason: String

  @Flag(help: "Grant on a home that has never had executor, before any upgrade.")
  var bootstrap = false

  func validate() throws {
    guard level == "executor" else { throw ValidationError("the only level to grant is executor") }
    try requireReason(reason, saying: "executor is granted")
  }

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .grant, machine, context,
      arguments: ["executor", "--reason", reason] + (bootstrap ? ["--bootstrap"] : []),
      action: "Grant executor authority to agent \(machine.config.agent.name).", word: "grant"
    ) {}
    let outcome = try AuthorityGrants.grantExecutor(
      machine, caller: caller, reason: reason, bootstrap: bootstrap)
    return AuthorityOutput(outcome: outcome, verb: "granted")
  }
}

struct Revoke: Operation {
  static let configuration = CommandConfiguration(
    commandName: "revoke",
    abstract: "Revoke the agent's executor authority (human only).",
    discussion: """
        $ a0 revoke --reason "maintenance window over"
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Why; journaled. Required.")
  var reason: String

  func validate() throws {
    try requireReason(reason, saying: "executor is revoked")
  }

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .revoke, machine, context, arguments: ["--reason", reason],
      action: "Revoke executor authority of agent \(machine.config.agent.name).", word: "revoke"
    ) {}
    return AuthorityOutput(
      outcome: try AuthorityGrants.revoke(machine, caller: caller, reason: reason), verb: "revoked")
  }
}

struct AuthorityOutput: CommandOutput {
  let outcome: AuthorityGrants.Outcome
  let verb: String

  var json: JSONValue {
    [
      "authority_level": .string(outcome.level.rawValue), "changed": .bool(outcome.changed),
      "bootstrap": .bool(outcome.bootstrap),
    ]
  }

  var text: String {
    outcome.changed
      ? "Executor authority \(verb)\(outcome.bootstrap ? " (bootstrap)" : ""); the agent is now \(outcome.level.rawValue).\n"
      : "Nothing to do: the agent is already \(outcome.level.rawValue).\n"
  }
}
