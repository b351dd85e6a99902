import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Staging's dependency step: the requirements reviewed, resolved, keyed,
/// and installed into the release's venv, or an equal venv copied.
extension Stager {
  /// Reads every requirements file the installer would read (includes
  /// too) and refuses the release when one asks for more than packages
  /// (see `RequirementsPolicy`), before any installer runs.
  func reviewRequirements(_ files: [String], app: String, log: BuildLog?) throws(A0Error)
    -> [TreeDigest.Entry]
  {
    var reviewed: [TreeDigest.Entry] = []
    var pending = files
    var seen: Set<String> = []
    var violations: [String] = []
    while let file = pending.popLast() {
      let normalised = HomePaths.absolutePath(file, relativeTo: app)
      guard normalised.hasPrefix(app + "/") else {
        violations.append("\(file): included from outside the release")
        continue
      }
      guard seen.insert(normalised).inserted else { continue }
      guard seen.count <= 64 else {
        violations.append("more than 64 requirement files")
        break
      }
      let relative = String(normalised.dropFirst(app.count + 1))
      guard let bytes = try FileIO.read(normalised), let text = String(validating: bytes, as: UTF8.self)
      else {
        violations.append("\(relative): missing or not UTF-8 text")
        continue
      }
      reviewed.append(.init(path: relative, hex: Digest.sha256Hex(bytes)))
      let review = RequirementsPolicy.review(text)
      violations += review.violations.map { "\(relative) \($0)" }
      let directory = FileIO.parent(of: relative)
      pending += review.includes.map { directory == "." ? $0 : directory + "/" + $0 }
    }
    guard violations.isEmpty else {
      log?.note("requirements refused:\n" + violations.joined(separator: "\n"))
      throw A0Error(
        .operationFailed, "the release's requirements ask for more than packages",
        why: violations.prefix(5).joined(separator: "; "),
        next:
          "a0 installs named packages from the index or wheelhouse only; if this release is trusted, "
          + "install its dependencies into a wheelhouse and set python.wheelhouse")
    }
    return reviewed
  }

  /// What the dependencies step produced.
  struct InstalledDependencies {
    /// The interpreter and its version, as the manifest records it.
    var python: String
    /// SHA-256 of the `DependencyInputs`, when they decide the venv.
    var key: String?
    /// The build whose virtualenv was copied, and its digest as checked.
    var copiedFrom: String?
    var virtualenvDigest: TreeDigest?
    /// Why an earlier virtualenv with the same inputs was not copied.
    var copyRefused: String?
  }

  /// What the dependencies step needs to know before it installs or copies.
  struct PreparedDependencies {
    var installer: Config.Installer
    /// uv, when it is the installer and installed.
    var uv: UV?
    var interpreter: String
    var venv: String
    var requirements: [String]
    /// Installed with the requirements, taking precedence (uv's `--overrides`; pip's second pass).
    var overrides: [String]
    var installArguments: [String]
    var key: String?
    /// An artifact with the same dependency inputs whose venv will be copied.
    var copySource: ArtifactInfo?
    /// uv's resolved requirements (every package pinned), once resolved.
    var resolved: ResolvedRequirements?
    var app: String
    var timeout: Double
  }

  /// A file that pins every package to install, with its hashes.
  struct ResolvedRequirements {
    var path: String
    var bytes: [UInt8]
  }

  /// Reviews the requirements, computes the dependency key, and finds a
  /// venv to copy.
  func prepareDependencies(plan: StagingPlan, app: String, log: BuildLog?) throws(A0Error)
    -> PreparedDependencies
  {
    guard let interpreter = machine.children.find(config.python.interpreter) else {
      throw A0Error(
        .operationFailed, "the Python interpreter \(config.python.interpreter) is not installed",
        next: "Install it, or set python.interpreter in config.toml")
    }
    let installer = Config.Installer(rawValue: plan.installer) ?? .pip
    let venv = app + "/.venv"
    var indexArguments: [String] = []
    if !config.python.wheelhouse.isEmpty {
      indexArguments = ["--no-index", "--find-links", config.python.wheelhouse]
    }
    let requirements = config.python.requirements.filter { _ in installer != .none }
    // An override file is what a release may add; one it does not have is skipped (older releases).
    let overrides = config.python.overrides.filter { file in
      guard installer != .none else { return false }
      guard FileIO.exists(app + "/" + file) else {
        log?.note("\(file) (python.overrides) is not in this release; installing without it")
        return false
      }
      return true
    }
    for requirement in requirements where !FileIO.exists(app + "/" + requirement) {
      throw A0Error(
        .operationFailed, "the release has no \(requirement)",
        next: "Check python.requirements and python.overrides")
    }
    let requirementFiles = try reviewRequirements(requirements + overrides, app: app, log: log)
    indexArguments += Self.sourcePolicyArguments(config.python)
    var prepared = PreparedDependencies(
      installer: installer,
      uv: installer == .uv ? UV.find(in: machine.children, cacheDirectory: paths.uvCache) : nil,
      interpreter: interpreter, venv: venv,
      requirements: requirements, overrides: overrides,
      installArguments: indexArguments + config.python.installArgs, app: app,
      timeout: Double(config.python.installTimeoutSeconds))
    if installer == .uv, let uv = prepared.uv {
      try keyDependencies(&prepared, uv: uv, requirementFiles: requirementFiles, log: log)
    }
    if let key = prepared.key, !plan.rebuild {
      prepared.copySource = VirtualenvReuse.candidate(paths, key: key)
    }
    return prepared
  }

  /// The dependency key of a uv install. In a closed world the inputs
  /// decide before anything is resolved; with an index, what the
  /// requirements resolve to today decides, so they are resolved first.
  func keyDependencies(
    _ prepared: inout PreparedDependencies, uv: UV, requirementFiles: [TreeDigest.Entry], log: BuildLog?
  ) throws(A0Error) {
    if let inputs = VirtualenvReuse.inputs(
      python: config.python, installer: .uv, installerPath: uv.path, interpreterPath: prepared.interpreter,
      installArguments: prepared.installArguments + prepared.overrides.flatMap { ["--overrides", $0] },
      requirementFiles: requirementFiles)
    {
      prepared.key = Digest.sha256Hex(inputs.canonicalBytes)
      return
    }
    let resolved = try resolve(prepared, uv: uv, log: log)
    prepared.resolved = resolved
    prepared.key = VirtualenvReuse.inputs(
      resolvedRequirements: resolved.bytes, installer: .uv, installerPath: uv.path,
      interpreterPath: prepared.interpreter, installArguments: prepared.installArguments
    ).map { Digest.sha256Hex($0.canonicalBytes) }
  }

  /// Copies the venv of an artifact with the same dependency inputs, or
  /// installs when there is none or its copy is refused.
  func copyOrInstall(_ prepared: PreparedDependencies, log: BuildLog?) throws(A0Error)
    -> InstalledDependencies
  {
    guard let source = prepared.copySource else {
      progress.doing("creating the virtualenv and installing requirements (\(prepared.installer.rawValue))")
      return try install(prepared, log: log)
    }
    // Resolved before the copy only when an index, not the inputs, decides the key.
    let same = prepared.resolved != nil ? "same resolved requirements" : "same dependency inputs"
    progress.doing("copying the virtualenv of build \(source.buildID) (\(same))")
    let started = monotonicMilliseconds()
    switch VirtualenvReuse.copy(from: source, to: prepared.venv, builds: paths.builds) {
    case .copied(let digest):
      log?.note(
        "virtualenv copied from build \(source.buildID) and checked in \(monotonicMilliseconds() - started) ms: "
          + "\(same) (\(prepared.key ?? "-")), \(digest.entries.count) files")
      return InstalledDependencies(
        python: source.manifest.python ?? config.python.interpreter, key: prepared.key,
        copiedFrom: source.buildID, virtualenvDigest: digest)
    case .refused(let reason):
      log?.note("virtualenv not copied: \(reason); installing")
      progress.doing("installing requirements (\(prepared.installer.rawValue)): \(reason)")
      var installed = try install(prepared, log: log)
      installed.copyRefused = reason
      return installed
    }
  }

  /// Resolves every requirements file in one resolution, the overrides
  /// winning — as Agent Zero's own recipe gets in two passes — into a file
  /// beside the release that pins every package with the hashes of its
  /// files. The install then syncs exactly that set and checks every hash,
  /// so what was resolved (and keyed) is what is installed, and an index
  /// that serves other bytes under a known version changes the key.
  func resolve(_ prepared: PreparedDependencies, uv: UV, log: BuildLog?) throws(A0Error)
    -> ResolvedRequirements
  {
    let resolved = FileIO.parent(of: prepared.app) + "/resolved-requirements.txt"
    _ = try runInstall(
      uv.compile(
        interpreter: prepared.interpreter,
        requirementFiles: (prepared.requirements + prepared.overrides).map { prepared.app + "/" + $0 },
        overrides: prepared.overrides.map { prepared.app + "/" + $0 },
        sourceArguments: prepared.installArguments,
        output: resolved, venv: prepared.venv, workingDirectory: prepared.app,
        timeoutSeconds: prepared.timeout),
      log: log,
      what: "uv pip compile " + (prepared.requirements + prepared.overrides).joined(separator: " "))
    guard let bytes = try FileIO.read(resolved) else {
      throw A0Error(.operationFailed, "uv pip compile wrote no \(resolved)", next: "Read the build log")
    }
    let pinned = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).filter {
      !$0.hasPrefix("#") && !$0.hasPrefix(" ")
    }
    log?.note("resolved \(pinned.count) packages into \(resolved)")
    return ResolvedRequirements(path: resolved, bytes: bytes)
  }

  /// Creates the venv and installs the requirements into it.
  func install(_ prepared: PreparedDependencies, log: BuildLog?) throws(A0Error) -> InstalledDependencies {
    let venv = prepared.venv
    let venvPython = venv + "/bin/python"
    let timeout = prepared.timeout
    let app = prepared.app
    switch prepared.installer {
    case .uv:
      guard let uv = prepared.uv else { throw A0Error(.operationFailed, "uv is not installed") }
      _ = try run(
        uv.createVenv(
          interpreter: prepared.interpreter, at: venv, workingDirectory: app, timeoutSeconds: timeout),
        log: log, what: "uv venv")
      if !(prepared.requirements + prepared.overrides).isEmpty {
        let resolved: ResolvedRequirements
        if let known = prepared.resolved {
          resolved = known
        } else {
          resolved = try resolve(prepared, uv: uv, log: log)
        }
        // Exactly the resolved set. The venv's bytecode is written now: the
        // import check and production's first start load it instead of compiling it.
        _ = try runInstall(
          uv.sync(
            python: venvPython, resolved: resolved.path, sourceArguments: prepared.installArguments,
            venv: venv,
            workingDirectory: app, timeoutSeconds: timeout), log: log,
          what: "uv pip sync the resolved requirements")
      }
    case .pip, .auto:
      _ = try run(
        Python.createVenv(
          interpreter: prepared.interpreter, at: venv, withPip: true, workingDirectory: app,
          timeoutSeconds: timeout),
        log: log, what: "python -m venv")
      // pip has no overrides: they are a second pass, as in Agent Zero's recipe.
      for pass in [prepared.requirements, prepared.overrides] where !pass.isEmpty {
        _ = try runInstall(
          Pip.install(
            python: venvPython, requirementFiles: pass.map { app + "/" + $0 },
            sourceArguments: prepared.installArguments, workingDirectory: app, timeoutSeconds: timeout),
          log: log,
          what: "pip install " + pass.map { "-r \($0)" }.joined(separator: " "))
      }
    case .none:
      _ = try run(
        Python.createVenv(
          interpreter: prepared.interpreter, at: venv, withPip: false, workingDirectory: app,
          timeoutSeconds: timeout),
        log: log, what: "python -m venv")
    }
    let version = try run(Python.version(venvPython), log: log, what: "python --version")
    return InstalledDependencies(
      python: "\(config.python.interpreter) \(version.stdoutText.trimmingWhitespace)", key: prepared.key)
  }

  /// Wheels only, except the packages the operator named (or all, with
  /// `allow_source_builds`): building from source runs upstream code.
  static func sourcePolicyArguments(_ python: Config.Python) -> [String] {
    guard !python.allowSourceBuilds else { return [] }
    return ["--only-binary", ":all:"] + python.sourceBuilds.flatMap { ["--no-binary", $0] }
  }

  /// An install whose failure names the packages that lacked a wheel, and
  /// the line that lets them build.
  func runInstall(_ spec: CommandLineSpec, log: BuildLog?, what: String) throws(A0Error) -> ProcessResult {
    do {
      return try run(spec, log: log, what: what)
    } catch {
      guard !config.python.allowSourceBuilds,
        let advice = InstallerOutput.sourceBuildAdvice(
          InstallerOutput.packagesWithoutWheels(error.why ?? "").filter {
            !config.python.sourceBuilds.contains($0)
          })
      else { throw error }
      var explained = error
      explained.next = advice
      throw explained
    }
  }
}
