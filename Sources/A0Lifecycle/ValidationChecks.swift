import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// The checks a validation runs, each a function of the artifact.
extension Validator {
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
    var watched = spec
    watched.onOutputLine = { [progress] line in progress.doing(line) }
    let result = try runner.run(watched)
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
    return try runCheck(
      "imports",
      Python.program(
        python(artifact), PythonPrograms.importModules,
        arguments: [artifact.appPath] + config.validation.importModules,
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
    return try runCheck(
      "config",
      Python.program(
        python(artifact), PythonPrograms.parseConfigFiles, arguments: copies, workingDirectory: scratch,
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
    let outcome = HealthProbe(http: machine.http(), report: progress.doing).waitUntilHealthy(
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
