import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Promote: Operation {
  static let runsLong = true

  static let configuration = CommandConfiguration(
    commandName: "promote",
    abstract: "Put the validated artifact into production: VALIDATING → PROMOTING → COMPLETE, or roll back.",
    discussion: """
      Executor (or a proven human), in VALIDATING with a full, passing validation report for this
      exact tree hash (exit 2 otherwise), and inside a `[policy] promote_windows` window (exit 2
      otherwise, the artifact staying validated; `--now` is a human's override). Re-verifies the tree, snapshots user data, switches the
      production link atomically, restarts the service and polls health until it is stably healthy.
      Unhealthy, a failed restart or a timeout rolls back automatically — code and user data — and
      ends in IDLE; if the rollback fails too, FAILED_HARD.

        $ a0 promote
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Promote outside [policy] promote_windows (a human only).")
  var now = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    Interrupts.install()
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .promote, machine, context, arguments: now ? ["--now"] : [],
      action:
        "Promote \(machine.state.activeOperation?.targetVersion ?? "the staged artifact") to production"
        + (now ? ", outside its window." : "."),
      word: machine.state.activeOperation?.targetVersion ?? "promote",
      needs: now ? ActionRules.promoteOutsideWindow : nil
    ) { () throws(A0Error) in
      _ = try Promoter(machine: machine).checkPromotable()
      try PromotionWindow(machine: machine).require(overridden: now)
    }
    let outcome = try Promoter(machine: machine, progress: context.progress).promote(
      caller: caller, outsideWindow: now)
    return try PromotionOutput.finish(outcome)
  }
}

struct PromotionOutput: CommandOutput {
  let outcome: Promoter.Outcome

  /// A promotion that rolled back is an operation that failed (exit 1),
  /// even though production is safe again.
  static func finish(_ outcome: Promoter.Outcome) throws -> PromotionOutput {
    guard outcome.healthy else {
      throw A0Error(
        .operationFailed, "the promotion was rolled back", why: outcome.detail,
        next:
          "Production runs \(outcome.production?.version ?? "nothing") again (state \(outcome.state.currentState.rawValue))"
      )
    }
    return PromotionOutput(outcome: outcome)
  }

  var json: JSONValue {
    [
      "current_state": .string(outcome.state.currentState.rawValue), "healthy": .bool(outcome.healthy),
      "detail": .string(outcome.detail), "production": outcome.production?.json ?? .null,
    ]
  }

  var text: String {
    "\(outcome.production?.version ?? "?") is in production and healthy (\(outcome.detail)). State: "
      + "\(outcome.state.currentState.rawValue). A human accepts it with `a0 confirm`.\n"
  }
}
