import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// One check's result in a validation report.
public struct CheckResult: Sendable {
  public enum Status: String, Sendable { case pass, fail, skip, warn }
  public var name: String
  public var status: Status
  public var durationMilliseconds: Int64
  public var outputTail: String
  public var error: String?

  public var json: JSONValue {
    [
      "check": .string(name), "status": .string(status.rawValue), "duration_ms": .int(durationMilliseconds),
      "output_tail": .string(outputTail), "error": .optional(error),
    ]
  }
}

/// A validation report: `reports/<version>/validation-<time>.json`.
public struct ValidationReport: Sendable {
  public var version: String
  public var operationID: String
  public var buildID: String
  public var treeHash: String
  public var startedAt: Timestamp
  public var finishedAt: Timestamp
  public var partial: Bool
  public var checks: [CheckResult]

  public var passed: Bool { checks.allSatisfy { $0.status != .fail } }
  public var failing: [CheckResult] { checks.filter { $0.status == .fail } }

  /// `check: why` for each failing check, for error messages and the journal.
  public var failureSummary: String {
    failing.map { "\($0.name): \($0.error ?? "failed")" }.joined(separator: "; ")
  }

  public var json: JSONValue {
    [
      "version": .string(version), "operation_id": .string(operationID), "build_id": .string(buildID),
      "tree_hash": .string(treeHash), "started_at": .string(startedAt.iso8601),
      "finished_at": .string(finishedAt.iso8601), "partial": .bool(partial), "passed": .bool(passed),
      "checks": .array(checks.map(\.json)),
    ]
  }
}

/// The checks of DESIGN.md §6 step 3, each with its own timeout, run on
/// the staged artifact; code runs only in subprocesses of the staged venv.
public final class Validator {
  public static let allChecks = [
    "structure", "integrity", "imports", "dependencies", "config", "health", "custom",
  ]
  public static let reportsKept = 10
  /// Checks that run the release's code: only on a tree whose hash matched
  /// its manifest, so `integrity` runs before them even when not asked for.
  static let runningCode: Set = ["imports", "dependencies", "health", "custom"]

  let machine: Machine
  let runner: any CommandRunning
  let progress: ProgressReporter
  /// The lock file names the running checks' process groups (the scratch
  /// server too), so recovery after a0 is killed stops what it started.
  let children: ChildGroupRecord

  public init(machine: Machine, progress: ProgressReporter = .silent) {
    self.machine = machine
    let children = ChildGroupRecord(lock: machine.lock, command: "a0 validate")
    self.children = children
    self.runner = machine.runner(onStart: { group in children.setWaitedFor(group) })
    self.progress = progress
  }

  var config: Config { machine.config }
  var paths: HomePaths { machine.paths }

  public struct Outcome: Sendable {
    public var report: ValidationReport
    public var reportPath: String
    public var state: StateRecord
  }

  public static let stageFirst = "Stage a version first: `a0 begin-staging VERSION`"

  /// Refuses a name `--only` gave that is no check (bad input, 65).
  public static func checkNames(_ only: [String]) throws(A0Error) {
    for name in only where !allChecks.contains(name) {
      throw A0Error(
        .badInput, "\"\(name)\" is not a check", why: "checks: \(allChecks.joined(separator: ", "))")
    }
  }

  public func validate(caller: Caller, only: [String]) throws(A0Error) -> Outcome {
    let (operation, operationID) = try machine.validatingOperation(for: .validate, next: Self.stageFirst)
    try Self.checkNames(only)
    guard let artifact = try Artifacts.find(paths, version: operation.targetVersion) else {
      throw A0Error(
        .integrityViolation, "the artifact of \(operation.targetVersion) is missing",
        next: "Clear the failure and stage it again")
    }
    let startedAt = machine.clock.now()
    let checks = runChecks(Self.selection(only), artifact: artifact)
    let report = ValidationReport(
      version: artifact.version, operationID: operationID, buildID: artifact.buildID,
      treeHash: artifact.manifest.treeHash, startedAt: startedAt, finishedAt: machine.clock.now(),
      partial: !only.isEmpty, checks: checks)
    return try conclude(report, operation: operation, caller: caller)
  }

  /// The checks `--only` names, in their order, with the integrity check
  /// whenever one of them runs the release's code.
  static func selection(_ only: [String]) -> [String] {
    let runsCode = only.isEmpty || only.contains(where: runningCode.contains)
    return allChecks.filter { only.isEmpty || only.contains($0) || ($0 == "integrity" && runsCode) }
  }

  /// Runs each check in turn. Nothing runs the release's code once its tree
  /// fails the integrity check, and nothing more runs after an interrupt.
  func runChecks(_ selected: [String], artifact: ArtifactInfo) -> [CheckResult] {
    var checks: [CheckResult] = []
    for name in selected {
      if Self.runningCode.contains(name),
        checks.contains(where: { $0.name == "integrity" && $0.status == .fail })
      {
        checks.append(
          CheckResult(
            name: name, status: .skip, durationMilliseconds: 0, outputTail: "",
            error: "not run: the tree does not match its manifest"))
        continue
      }
      if let signal = Interrupts.pending {
        checks.append(
          CheckResult(
            name: name, status: .fail, durationMilliseconds: 0, outputTail: "",
            error: "interrupted by \(Interrupts.signalName(signal))"))
        break
      }
      progress.begin(name)
      let started = monotonicMilliseconds()
      var result = run(name, artifact: artifact)
      result.durationMilliseconds = monotonicMilliseconds() - started
      let outcome: StepOutcome =
        switch result.status {
        case .pass: .ok
        case .warn: .warning
        case .fail: .failed
        case .skip: .skipped
        }
      progress.end(outcome, result.error ?? "")
      checks.append(result)
    }
    return checks
  }

  /// Stores the report and journals it: a pass leaves VALIDATING as it is,
  /// a failure ends in FAILED (and an integrity failure revokes executor).
  func conclude(_ report: ValidationReport, operation: ActiveOperation, caller: Caller) throws(A0Error)
    -> Outcome
  {
    let operationID = report.operationID
    let reportPath = try store(report)
    let reportHash = Digest.sha256Hex(Array(report.json.prettyString.utf8))
    if report.passed {
      try machine.record(
        eventType: report.partial ? "validation_partial_passed" : "validation_passed", actor: caller.actor,
        details: [
          "reason_code": .string(ReasonCode.validationPassed.rawValue), "operation_id": .string(operationID),
          "version": .string(report.version), "tree_hash": .string(report.treeHash),
          "report": .string(reportPath), "report_sha256": .string(reportHash),
          "partial": .bool(report.partial),
        ])
      return Outcome(report: report, reportPath: reportPath, state: machine.state)
    }
    let integrityFailed = report.failing.contains { $0.name == "integrity" }
    let summary = report.failureSummary
    let now = machine.clock.now()
    try machine.transition(
      to: .failed, reason: integrityFailed ? .integrityViolation : .validationError, caller: caller,
      notes: "validation of \(report.version) failed: \(summary)",
      details: [
        "operation_id": .string(operationID), "report": .string(reportPath),
        "report_sha256": .string(reportHash),
        "failing_checks": .array(report.failing.map { .string($0.name) }),
        "operation_type": .string(operation.type.rawValue),
        "authority_revoked": .bool(integrityFailed && machine.state.authorityLevel == .executor),
      ]
    ) { record in
      record.lastFailure = FailureRecord(
        state: .validating, error: "validation failed: \(summary)", occurredAt: now)
      if integrityFailed { record.authorityLevel = .observer }
    }
    return Outcome(report: report, reportPath: reportPath, state: machine.state)
  }

  /// Writes the report and keeps the newest ten per version.
  func store(_ report: ValidationReport) throws(A0Error) -> String {
    let directory = paths.reports + "/" + report.version
    try FileIO.makeDirectory(paths.reports)
    try FileIO.makeDirectory(directory)
    var name = "validation-\(report.finishedAt.compact).json"
    var counter = 1
    while FileIO.exists(directory + "/" + name) {
      counter += 1
      name = "validation-\(report.finishedAt.compact)-\(counter).json"
    }
    let path = directory + "/" + name
    try FileIO.writeAtomically(path, Array(report.json.prettyString.utf8))
    let reports = try FileIO.listDirectory(directory).filter { $0.hasPrefix("validation-") }.sorted()
    for old in reports.dropLast(Self.reportsKept) { try FileIO.removeTree(directory + "/" + old) }
    return path
  }

  func run(_ name: String, artifact: ArtifactInfo) -> CheckResult {
    do {
      switch name {
      case "structure": return try structure(artifact)
      case "integrity": return try integrity(artifact)
      case "imports": return try imports(artifact)
      case "dependencies": return try dependencies(artifact)
      case "config": return try configFiles(artifact)
      case "health": return try health(artifact)
      default: return try custom(artifact)
      }
    } catch {
      return CheckResult(
        name: name, status: .fail, durationMilliseconds: 0, outputTail: "", error: error.message)
    }
  }

  func pass(_ name: String, _ output: String = "") -> CheckResult {
    CheckResult(name: name, status: .pass, durationMilliseconds: 0, outputTail: output, error: nil)
  }

  func failure(_ name: String, _ error: String, _ output: String = "") -> CheckResult {
    CheckResult(name: name, status: .fail, durationMilliseconds: 0, outputTail: output, error: error)
  }
}
