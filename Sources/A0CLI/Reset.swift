import A0Core
import A0Lifecycle
import ArgumentParser

struct Reset: Operation {
  static let configuration = CommandConfiguration(
    commandName: "reset",
    abstract: "Return to IDLE from COMPLETE or FAILED_HARD, with a reason.",
    discussion: """
      Human only. From FAILED_HARD it first verifies production against its manifest and refuses
      (exit 5) when they differ; it unlocks upgrades and rollbacks. From COMPLETE it leaves known-good
      as it was (use it before `a0 rollback` to undo an unwanted upgrade).

        $ a0 reset --reason "journal checked by hand after disk replacement"
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Why; journaled. Required.")
  var reason: String

  func validate() throws {
    try requireReason(reason, saying: "the machine is reset")
  }

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .reset, machine, context, arguments: ["--reason", reason],
      action: "Reset from \(machine.state.currentState.rawValue) to IDLE.",
      word: "reset"
    ) { () throws(A0Error) in
      try machine.checkTransition(to: .idle, reason: .operatorReset, for: .reset)
    }
    let from = machine.state.currentState
    let result = try HumanDecisions.reset(machine, caller: caller, reason: reason)
    return TransitionOutput(
      command: "reset", outcome: result.outcome, state: result.state,
      summary: "Reset by \(caller.actor): \(from.rawValue) → IDLE. Upgrades and rollbacks are unlocked.\n")
  }
}
