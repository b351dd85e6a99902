import A0Core
import A0Lifecycle
import ArgumentParser

struct ClearFailure: Operation {
  static let configuration = CommandConfiguration(
    commandName: "clear-failure",
    abstract: "Acknowledge a failure: FAILED → IDLE.",
    discussion: """
      Human only. Runs in FAILED; repeating it in the IDLE it produced does nothing.
      The failure stays on record in the journal and in last_failure, marked cleared.

        $ a0 clear-failure --reason "bad requirement pin, reported upstream"
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Why the failure is cleared; journaled.")
  var reason: String = ""

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForMutation(Self.operationName)
    let failure = machine.state.lastFailure?.error ?? "the failure"
    let caller = try AuthorityGate.require(
      .clearFailure, machine, context, arguments: ["--reason", reason],
      action: "Clear: \(failure)", word: "clear-failure"
    ) { () throws(A0Error) in
      try machine.checkTransition(to: .idle, reason: .humanClearedFailure, for: .clearFailure)
    }
    let result = try HumanDecisions.clearFailure(machine, caller: caller, notes: reason)
    return TransitionOutput(
      command: "clear-failure", outcome: result.outcome, state: result.state,
      summary: "Failure cleared by \(caller.actor): FAILED → IDLE.\n")
  }
}
