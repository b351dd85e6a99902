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
  let progress: (String) -> Void
  /// The lock file names the running checks' process groups (the scratch
  /// server too), so recovery after a0 is killed stops what it started.
  let children: ChildGroupRecord

  public init(machine: Machine, progress: @escaping (String) -> Void = { _ in }) {
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

  public func validate(caller: Caller, only: [String]) throws(A0Error) -> Outcome {
    let (operation, operationID) = try machine.validatingOperation(
      for: .validate, next: "Stage a version first: `a0 begin-staging VERSION`")
    for name in only where !Self.allChecks.contains(name) {
      throw A0Error(
        .badInput, "\"\(name)\" is not a check", why: "checks: \(Self.allChecks.joined(separator: ", "))")
    }
    guard let artifact = try Artifacts.find(paths, version: operation.targetVersion) else {
      throw A0Error(
        .integrityViolation, "the artifact of \(operation.targetVersion) is missing",
        next: "Clear the failure and stage it again")
    }
    let startedAt = machine.clock.now()
    let runsCode = only.isEmpty || only.contains(where: Self.runningCode.contains)
    let selected = Self.allChecks.filter {
      only.isEmpty || only.contains($0) || ($0 == "integrity" && runsCode)
    }
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
      progress("check \(name)…")
      let started = monotonicMilliseconds()
      var result = run(name, artifact: artifact)
      result.durationMilliseconds = monotonicMilliseconds() - started
      progress("check \(name): \(result.status.rawValue)\(result.error.map { " — \($0)" } ?? "")")
      checks.append(result)
    }
    let report = ValidationReport(
      version: artifact.version, operationID: operationID, buildID: artifact.buildID,
      treeHash: artifact.manifest.treeHash, startedAt: startedAt, finishedAt: machine.clock.now(),
      partial: !only.isEmpty, checks: checks)
    let reportPath = try store(report)
    let reportHash = Digest.sha256Hex(Array(report.json.prettyString.utf8))
    if report.passed {
      try machine.record(
        eventType: report.partial ? "validation_partial_passed" : "validation_passed", actor: caller.actor,
        details: [
          "reason_code": .string(ReasonCode.validationPassed.rawValue), "operation_id": .string(operationID),
          "version": .string(artifact.version), "tree_hash": .string(artifact.manifest.treeHash),
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
      notes: "validation of \(artifact.version) failed: \(summary)",
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

  func structure(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    var missing: [String] = []
    for required in config.validation.requiredFiles {
      let path = artifact.appPath + "/" + (required.hasSuffix("/") ? String(required.dropLast()) : required)
      let present = required.hasSuffix("/") ? FileIO.isDirectory(path) : FileIO.exists(path)
      if !present { missing.append(required) }
    }
    return missing.isEmpty
      ? pass("structure", "\(config.validation.requiredFiles.count) required paths present")
      : failure("structure", "missing: \(missing.joined(separator: ", "))")
  }

  func integrity(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    do {
      let digest = try Artifacts.verify(artifact)
      return pass("integrity", "tree hash \(digest.treeHash) over \(digest.entries.count) files")
    } catch {
      return failure("integrity", error.message)
    }
  }

  func python(_ artifact: ArtifactInfo) -> String { artifact.appPath + "/.venv/bin/python" }

  func runCheck(_ name: String, _ spec: CommandLineSpec) throws(A0Error) -> CheckResult {
    let result = try runner.run(spec)
    let tail = result.tail(lines: 15)
    if result.interrupted { return failure(name, "interrupted", tail) }
    if result.timedOut { return failure(name, "timed out after \(Int(spec.timeoutSeconds)) s", tail) }
    return result.succeeded ? pass(name, tail) : failure(name, "exit \(result.status)", tail)
  }

  func imports(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    guard !config.validation.importModules.isEmpty else {
      return CheckResult(name: "imports", status: .skip, durationMilliseconds: 0, outputTail: "", error: nil)
    }
    // Module names travel as arguments, never inside the code string.
    let script = """
      import importlib, sys
      sys.path.insert(0, sys.argv[1])
      for name in sys.argv[2:]:
          importlib.import_module(name)
          print("imported", name)
      """
    return try runCheck(
      "imports",
      Python.program(
        python(artifact), script, arguments: [artifact.appPath] + config.validation.importModules,
        environment: ["A0_VALIDATION": "1"], workingDirectory: artifact.appPath,
        timeoutSeconds: Double(config.validation.importTimeoutSeconds)))
  }

  func dependencies(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    guard config.validation.pipCheck != .off else {
      return CheckResult(
        name: "dependencies", status: .skip, durationMilliseconds: 0, outputTail: "", error: nil)
    }
    let hasPip = FileIO.exists(artifact.appPath + "/.venv/bin/pip")
    let timeout = Double(config.validation.checkTimeoutSeconds)
    let spec: CommandLineSpec
    if hasPip {
      spec = Pip.check(python: python(artifact), workingDirectory: artifact.appPath, timeoutSeconds: timeout)
    } else if let uv = UV.find(in: machine.children, cacheDirectory: paths.uvCache) {
      spec = uv.check(
        python: python(artifact), workingDirectory: artifact.appPath, timeoutSeconds: timeout)
    } else {
      return CheckResult(
        name: "dependencies", status: .skip, durationMilliseconds: 0, outputTail: "",
        error: "neither pip nor uv")
    }
    var result = try runCheck("dependencies", spec)
    if result.status == .fail && config.validation.pipCheck == .warn {
      result.status = .warn
    }
    return result
  }

  /// Parses copies of the user's current config files with the release's
  /// Python: JSON, TOML, YAML (when the venv has it) and `.env` style.
  func configFiles(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    guard !config.validation.configFiles.isEmpty else {
      return CheckResult(name: "config", status: .skip, durationMilliseconds: 0, outputTail: "", error: nil)
    }
    let scratch = try scratchDirectory("config")
    defer { try? FileIO.removeTree(scratch) }
    var copies: [String] = []
    for file in config.validation.configFiles {
      let source = paths.shared + "/" + file
      guard FileIO.exists(source) else { continue }
      let copy = scratch + "/" + file.replacingAll("/", with: "__")
      try FileIO.copyFile(from: source, to: copy, mode: 0o600)
      copies.append(copy)
    }
    guard !copies.isEmpty else { return pass("config", "no config files in shared/ yet") }
    let script = """
      import json, sys
      failed = False
      for path in sys.argv[1:]:
          text = open(path, encoding="utf-8").read()
          try:
              if path.endswith(".json"):
                  json.loads(text)
              elif path.endswith(".toml"):
                  import tomllib
                  tomllib.loads(text)
              elif path.endswith((".yaml", ".yml")):
                  try:
                      import yaml
                  except ImportError:
                      print(path, "not checked: PyYAML is not installed")
                      continue
                  yaml.safe_load(text)
              else:
                  for number, line in enumerate(text.splitlines(), 1):
                      line = line.strip()
                      if not line or line.startswith("#"):
                          continue
                      if line.startswith("export "):
                          line = line[7:]
                      key, sep, _ = line.partition("=")
                      if not sep or not key.strip().replace("_", "a").isalnum():
                          raise ValueError("line %d is not KEY=VALUE" % number)
              print(path.rsplit("/", 1)[-1], "ok")
          except Exception as error:
              failed = True
              print(path.rsplit("/", 1)[-1], "does not parse:", error)
      sys.exit(1 if failed else 0)
      """
    return try runCheck(
      "config",
      Python.program(
        python(artifact), script, arguments: copies, workingDirectory: scratch,
        timeoutSeconds: Double(config.validation.checkTimeoutSeconds)))
  }

  func scratchDirectory(_ label: String) throws(A0Error) -> String {
    let root = paths.scratch
    try FileIO.makeDirectory(root)
    let path = root + "/\(label)-\(getpid())-\(monotonicMilliseconds())"
    try FileIO.removeTree(path)
    try FileIO.makeDirectory(path)
    return path
  }

  /// Starts the release as production will run it, on a free loopback
  /// port, and waits for its health endpoint: a scratch twin (see
  /// `SharedData.makeTwin`) with the release's venv, never production's
  /// data itself. Bounded by the service's health timeout; a process that
  /// exits fails at once. The whole process group is stopped afterwards,
  /// whatever happened.
  func health(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    let scratch = try scratchDirectory("health")
    defer { try? FileIO.removeTree(scratch) }
    let app = try SharedData.makeTwin(
      of: artifact, linkedPaths: config.data.linkedPaths, userData: paths.shared, root: scratch)
    let port = try FreePort.find()
    let command = CommandTemplate.expand(
      config.service.start,
      values: ["python": python(artifact), "app": app, "port": String(port), "version": artifact.version])
    let server = try BackgroundProcess(
      CommandLineSpec(
        command,
        environment: [
          "A0_VALIDATION": "1", "A0_VERSION": artifact.version, "A0_RELEASE_DIR": artifact.appPath,
        ], workingDirectory: app, timeoutSeconds: 0), in: machine.children, logPath: scratch + "/server.log")
    children.addBackground(server.pid)
    defer {
      server.stop()
      children.removeBackground(server.pid)
    }
    let url = "http://127.0.0.1:\(port)\(config.service.healthPath)"
    let outcome = HealthProbe(http: machine.http()).waitUntilHealthy(
      url: url, timeoutSeconds: Double(config.service.healthTimeoutSeconds), intervalSeconds: 0.25,
      stableSeconds: 0, expecting: machine.healthVersion(artifact.version),
      stillRunning: { !server.hasExited })
    let output =
      "GET \(url): \(outcome.lastStatus.map(String.init) ?? "no answer") \(outcome.lastBody)\n"
      + server.outputTail(bytes: 2000)
    return outcome.healthy ? pass("health", output) : failure("health", outcome.detail, output)
  }

  func custom(_ artifact: ArtifactInfo) throws(A0Error) -> CheckResult {
    guard !config.validation.customChecks.isEmpty else {
      return CheckResult(name: "custom", status: .skip, durationMilliseconds: 0, outputTail: "", error: nil)
    }
    var outputs: [String] = []
    for template in config.validation.customChecks {
      let command = CommandTemplate.expand(
        template, values: ["python": python(artifact), "app": artifact.appPath, "version": artifact.version])
      let result = try runCheck(
        "custom",
        CommandLineSpec(
          command,
          environment: [
            "A0_ARTIFACT_DIR": artifact.appPath, "A0_VENV": artifact.appPath + "/.venv",
            "A0_VERSION": artifact.version,
            "VIRTUAL_ENV": artifact.appPath + "/.venv",
          ], workingDirectory: artifact.appPath,
          timeoutSeconds: Double(config.validation.checkTimeoutSeconds)))
      outputs.append("$ \(command.joined(separator: " "))\n\(result.outputTail)")
      if result.status == .fail {
        return failure(
          "custom", "\(command.joined(separator: " ")): \(result.error ?? "failed")",
          outputs.joined(separator: "\n"))
      }
    }
    return pass("custom", outputs.joined(separator: "\n"))
  }
}
