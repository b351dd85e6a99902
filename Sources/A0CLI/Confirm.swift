import A0Core
import A0Lifecycle
import ArgumentParser

struct Confirm: Operation {
  static let configuration = CommandConfiguration(
    commandName: "confirm",
    abstract: "Accept a completed upgrade: COMPLETE → IDLE, and record it as known-good.",
    discussion: """
      Human only. Runs in COMPLETE; repeating it in the IDLE it produced does nothing.
      At a terminal you type the production version back.

        $ a0 confirm
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "A note for the journal.")
  var reason: String = ""

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForMutation(Self.operationName)
    let version = ProductionInfo.read(machine.paths)?.version
    let caller = try AuthorityGate.require(
      .confirm, machine, context, arguments: ["--reason", reason],
      action: "Confirm \(version ?? "the completed operation") as known-good.", word: version ?? "confirm"
    ) { () throws(A0Error) in
      try machine.checkTransition(to: .idle, reason: .confirmationReceived, for: .confirm)
    }
    let result = try HumanDecisions.confirm(machine, caller: caller, notes: reason)
    return TransitionOutput(
      command: "confirm", outcome: result.outcome, state: result.state,
      extra: ["known_good": result.knownGood?.json ?? .null],
      summary: "Confirmed by \(caller.actor): COMPLETE → IDLE."
        + (result.knownGood.map { " Known-good is now \($0.version)." } ?? "") + "\n")
  }
}
