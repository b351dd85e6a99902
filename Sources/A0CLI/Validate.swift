import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Validate: Operation {
  static let runsLong = true

  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract:
      "Check the staged artifact: structure, integrity, imports, dependencies, config, health, custom.",
    discussion: """
      Executor (or a proven human), in VALIDATING. Each check has its own timeout; code runs only in
      subprocesses of the staged venv; the health check starts a scratch copy of the release with
      scratch data on a free loopback port. A full pass keeps VALIDATING and authorises `a0 promote`
      for this exact tree hash; any failure goes to FAILED. A partial run (--only) writes a report but
      never authorises promote.

        $ a0 validate
        $ a0 validate --only imports --only health
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    name: .customLong("only"),
    help: "Run only this check (repeatable): \(Validator.allChecks.joined(separator: ", ")).")
  var only: [String] = []

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    try Validator.checkNames(only)
    Interrupts.install()
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .validate, machine, context, arguments: only.flatMap { ["--only", $0] },
      action: "Validate \(machine.state.activeOperation?.targetVersion ?? "the staged artifact").",
      word: "validate"
    ) { () throws(A0Error) in
      try machine.requireState(for: .validate, next: Validator.stageFirst)
    }
    let outcome = try Validator(machine: machine, progress: context.progress).validate(
      caller: caller, only: only)
    guard outcome.report.passed else {
      throw A0Error(
        .operationFailed, "validation of \(outcome.report.version) failed",
        why: outcome.report.failureSummary,
        next: "See \(outcome.reportPath); the machine is FAILED, a human clears it with `a0 clear-failure`")
    }
    return ValidationOutput(outcome: outcome)
  }
}

struct ValidationOutput: CommandOutput {
  let outcome: Validator.Outcome

  var json: JSONValue {
    guard case .object(var members) = outcome.report.json else { return outcome.report.json }
    members["report_path"] = .string(outcome.reportPath)
    members["current_state"] = .string(outcome.state.currentState.rawValue)
    return .object(members)
  }

  var text: String {
    let report = outcome.report
    var lines = ["CHECK\tSTATUS\tTIME\tDETAIL"]
    for check in report.checks {
      let detail = check.error ?? check.outputTail.split(separator: "\n").last.map(String.init) ?? ""
      lines.append(
        "\(check.name)\t\(check.status.rawValue)\t\(check.durationMilliseconds) ms\t\(detail.prefix(100))")
    }
    lines.append(
      report.partial
        ? "Partial validation passed (\(report.checks.count) checks); it does not authorise promote."
        : "Validation of \(report.version) passed for tree hash \(report.treeHash.prefix(16))…. Next: `a0 promote`."
    )
    lines.append("Report: \(outcome.reportPath)")
    return lines.joined(separator: "\n")
  }
}
