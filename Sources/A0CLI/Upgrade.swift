import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Upgrade: Operation {
  static let runsLong = true

  static let configuration = CommandConfiguration(
    commandName: "upgrade",
    abstract: "begin-staging, validate and promote in one command, stopping at the first failure.",
    discussion: """
      Executor (or a proven human), with an approval for VERSION. Outside `[policy] promote_windows` it
      stops after validating (exit 2, VALIDATING), to be promoted in the window; `--now` is a human's
      override.

        $ a0 upgrade v1.1.0
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(parsing: .allUnrecognized, help: "The approved version.")
  var version: [String] = []

  @Flag(help: "Build again even when a valid artifact of this version exists.")
  var rebuild = false

  @Flag(help: "Promote outside [policy] promote_windows (a human only).")
  var now = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let target = try parseVersion(try singleValue(version, name: "version"))
    Interrupts.install()
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .upgrade, machine, context,
      arguments: [target.tag] + (rebuild ? ["--rebuild"] : []) + (now ? ["--now"] : []),
      action: "Upgrade to \(target)\(now ? ", promoting outside its window" : "").", word: target.tag,
      needs: now ? ActionRules.promoteOutsideWindow : nil
    ) { () throws(A0Error) in
      try machine.checkTransition(to: .staging, reason: machine.stagingReason, for: .upgrade)
    }
    _ = try Stager(machine: machine, progress: context.progress).stage(
      version: target, caller: caller, rebuild: rebuild, dryRun: false)
    return try validateThenPromote(
      machine, context, caller: caller, failure: "validation of \(target) failed", showReport: true,
      outsideWindow: now)
  }
}

struct Rollback: Operation {
  static let runsLong = true

  static let configuration = CommandConfiguration(
    commandName: "rollback",
    abstract: "Go back to the known-good version (or --to VERSION) through the same checked states.",
    discussion: """
      Executor (or a proven human), in IDLE or FAILED. Rolling back to known-good needs no new
      approval; any other version needs one, like an upgrade. The existing artifact is re-verified,
      checked (integrity and a health dry-run), then promoted with the same automatic rollback. To undo
      an upgrade that is COMPLETE but unwanted, a human runs `a0 reset` first.

        $ a0 rollback
        $ a0 rollback --to v1.0.0
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "The version to roll back to (default: known-good).")
  var to: String?

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let explicit = try to.map(parseVersion)
    Interrupts.install()
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .rollback, machine, context, arguments: to.map { ["--to", $0] } ?? [],
      action: "Roll back to \(to ?? "known-good").", word: to ?? "rollback"
    ) { () throws(A0Error) in
      try machine.checkTransition(to: .staging, reason: .rollbackRequested, for: .rollback)
    }
    let target = try Rollbacks.target(machine, explicit: explicit)
    try Rollbacks.begin(machine, target: target, caller: caller)
    return try validateThenPromote(
      machine, context, caller: caller,
      failure: "the rollback target \(target.artifact.version) failed validation", showReport: false)
  }
}

struct Verify: Operation {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check production and every artifact against their manifests.",
    discussion: """
      Read-only for files; anyone may run it. Records observed_state (CONSISTENT or INCONSISTENT)
      when the lock is free. Exit 5 naming what differs.

        $ a0 verify
      """)

  @OptionGroup var global: GlobalOptions

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    // observed_state is recorded only when the lock is free at once;
    // verify never waits.
    if machine.takeLockIfFree(command: "a0 verify") { try machine.recoverIfNeeded() }
    defer { machine.releaseLock() }
    let findings = try Verification.run(machine, caller: machine.agentCaller)
    let failures = findings.filter { !$0.ok }
    guard failures.isEmpty else {
      throw A0Error(
        .integrityViolation, "\(failures.count) of \(findings.count) checks differ from their manifests",
        why: failures.map { "\($0.subject): \($0.detail)" }.joined(separator: "; "),
        next: "Restore the named files, or stage the release again with --rebuild")
    }
    return VerifyOutput(findings: findings)
  }
}

struct VerifyOutput: CommandOutput {
  let findings: [Verification.Finding]

  var json: JSONValue {
    [
      "consistent": .bool(findings.allSatisfy(\.ok)),
      "checks": .array(
        findings.map { ["subject": .string($0.subject), "ok": .bool($0.ok), "detail": .string($0.detail)] }),
    ]
  }

  var text: String {
    (findings.isEmpty
      ? ["Nothing to verify yet."]
      : findings.map { "\($0.ok ? "ok  " : "FAIL") \($0.subject): \($0.detail)" })
      .joined(separator: "\n")
  }
}

/// The second half of `upgrade` and `rollback`: every check on the staged
/// artifact, then promotion with its automatic rollback.
private func validateThenPromote(
  _ machine: Machine, _ context: CommandContext, caller: Caller, failure: String, showReport: Bool,
  outsideWindow: Bool = false
) throws -> any CommandOutput {
  let validation = try Validator(machine: machine, progress: context.progress).validate(
    caller: caller, only: [])
  guard validation.report.passed else {
    throw A0Error(
      .operationFailed, failure, why: validation.report.failureSummary,
      next: showReport ? "See \(validation.reportPath)" : nil)
  }
  let outcome = try Promoter(machine: machine, progress: context.progress).promote(
    caller: caller, outsideWindow: outsideWindow)
  return try PromotionOutput.finish(outcome)
}
