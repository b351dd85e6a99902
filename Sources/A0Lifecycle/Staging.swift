import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// What staging would do, for `--dry-run` and the output.
public struct StagingPlan: Sendable {
  public var version: String
  public var url: String
  public var commitSHA: String
  public var requestID: String?
  public var buildPath: String
  public var installer: String
  public var interpreter: String
  public var requirements: [String]
  public var wheelhouse: String
  public var linkedPaths: [String]
  public var reusesArtifact: String?
  /// `--rebuild`: install dependencies afresh rather than copy a virtualenv.
  public var rebuild = false

  public var json: JSONValue {
    [
      "version": .string(version), "url": .string(url), "commit_sha": .string(commitSHA),
      "request_id": .optional(requestID), "build_path": .string(buildPath), "installer": .string(installer),
      "interpreter": .string(interpreter), "requirements": .array(requirements.map(JSONValue.string)),
      "wheelhouse": .string(wheelhouse), "linked_paths": .array(linkedPaths.map(JSONValue.string)),
      "reuses_build": .optional(reusesArtifact),
    ]
  }
}

/// The result of a staging run.
public struct StagingResult: Sendable {
  public var plan: StagingPlan
  public var manifest: Manifest?
  public var reused: Bool
  public var state: StateRecord
  /// The build whose venv was copied (same dependency inputs), if one was.
  public var virtualenvCopiedFrom: String? = nil
}

/// Builds an approved version into an immutable, checksummed artifact
/// (DESIGN.md §6 step 2). Fails closed: any error, timeout or interrupt
/// deletes the build and ends in FAILED.
public final class Stager {
  let machine: Machine
  let runner: ProcessRunner
  let progress: (String) -> Void
  /// The lock file names the running children's process groups, so
  /// recovery after a crash can stop what this process started.
  let children: ChildGroupRecord

  public init(machine: Machine, progress: @escaping (String) -> Void = { _ in }) {
    self.machine = machine
    let children = ChildGroupRecord(lock: machine.lock, command: "a0 begin-staging")
    self.children = children
    self.runner = machine.runner(onStart: { group in children.setWaitedFor(group) })
    self.progress = progress
  }

  var paths: HomePaths { machine.paths }
  var config: Config { machine.config }

  /// The installer `auto` resolves to on this home's tool search path.
  public static func resolveInstaller(_ configured: Config.Installer, tools: ChildEnvironment)
    -> Config.Installer
  {
    guard configured == .auto else { return configured }
    return tools.find("uv") != nil ? .uv : .pip
  }

  public func plan(version: Version, approval: ApprovalRecord?, buildID: String) throws(A0Error)
    -> StagingPlan
  {
    let existing = try Artifacts.find(paths, version: version.tag)
    return StagingPlan(
      version: version.tag, url: config.upstream.url,
      commitSHA: approval?.commitSHA ?? existing?.manifest.commitSHA ?? "",
      requestID: approval?.requestID, buildPath: Artifacts.buildPath(paths, buildID),
      installer: Self.resolveInstaller(config.python.installer, tools: machine.children).rawValue,
      interpreter: config.python.interpreter,
      requirements: config.python.requirements, wheelhouse: config.python.wheelhouse,
      linkedPaths: config.data.linkedPaths, reusesArtifact: existing?.buildID)
  }

  public static func newOperationID(at time: Timestamp) -> String {
    var generator = SystemRandomNumberGenerator()
    let random = String(generator.next() as UInt32, radix: 16)
    return
      "op-\(time.compact.lowercased().filter { $0 != "." })-\(String(repeating: "0", count: 8 - random.count))\(random)"
  }

  /// Stages `version` for an upgrade, consuming its approval.
  public func stage(version: Version, caller: Caller, rebuild: Bool, dryRun: Bool) throws(A0Error)
    -> StagingResult
  {
    let reason: ReasonCode = machine.state.currentState == .failed ? .retryRequested : .approvalGranted
    if machine.state.locks.upgradeLocked {
      throw A0Error(
        .wrongState, "upgrades are locked in \(machine.state.currentState.rawValue)",
        why: machine.state.locks.lockReason, next: "A human must run `a0 reset --reason TEXT` first")
    }
    // Invariant 8: repeating the staging that produced VALIDATING is a no-op.
    if machine.state.currentState == .validating, machine.state.reasonCode == .stagingCompleted,
      machine.state.activeOperation?.type == .upgrade,
      machine.state.activeOperation?.targetVersion == version.tag
    {
      return StagingResult(
        plan: try plan(version: version, approval: nil, buildID: machine.state.operationID ?? ""),
        manifest: nil,
        reused: true, state: machine.state)
    }
    try machine.checkTransition(to: .staging, reason: reason, allowedFrom: [.idle, .failed])
    let approval = try UpgradeRequests.usableApproval(machine, version: version.tag)
    let now = machine.clock.now()
    let operationID = Self.newOperationID(at: now)
    var plan = try plan(version: version, approval: approval, buildID: operationID)
    if rebuild {
      plan.reusesArtifact = nil
      plan.rebuild = true
    }
    if dryRun {
      return StagingResult(
        plan: plan, manifest: nil, reused: plan.reusesArtifact != nil, state: machine.state)
    }

    try machine.record(
      eventType: "approval_consumed", actor: caller.actor,
      details: [
        "request_id": .string(approval.requestID), "version": .string(version.tag),
        "commit_sha": .string(approval.commitSHA), "operation_id": .string(operationID),
      ])
    try machine.transition(
      to: .staging, reason: reason, caller: caller, notes: "staging \(version.tag) at \(approval.commitSHA)",
      details: [
        "operation_id": .string(operationID), "operation_type": "upgrade",
        "request_id": .string(approval.requestID),
        "commit_sha": .string(approval.commitSHA),
      ]
    ) { record in
      record.activeOperation = ActiveOperation(type: .upgrade, targetVersion: version.tag, startedAt: now)
      record.operationID = operationID
    }
    var consumed = approval
    consumed.status = .consumed
    consumed.consumedAt = now
    consumed.consumedByOperation = operationID
    try? ApprovalStore(paths: paths).save(consumed)

    if let reused = plan.reusesArtifact, let existing = try? Artifacts.find(paths, version: version.tag),
      existing.buildID == reused, existing.manifest.commitSHA == approval.commitSHA
    {
      return try reuse(existing, plan: plan, caller: caller)
    }
    let built = try build(plan: plan, operationID: operationID, caller: caller)
    return StagingResult(
      plan: plan, manifest: built.manifest, reused: false, state: machine.state,
      virtualenvCopiedFrom: built.virtualenvCopiedFrom)
  }

  /// An existing artifact of the approved commit is reused after its tree
  /// hash is verified again.
  func reuse(_ artifact: ArtifactInfo, plan: StagingPlan, caller: Caller) throws(A0Error) -> StagingResult {
    progress("reusing artifact \(artifact.version) (build \(artifact.buildID)); verifying it")
    do {
      _ = try Artifacts.verify(artifact)
    } catch {
      try fail(step: "verify", error: error, caller: caller, buildPath: nil)
    }
    try machine.transition(
      to: .validating, reason: .stagingCompleted, caller: caller,
      notes: "reused artifact \(artifact.version) (build \(artifact.buildID)) after verifying it",
      details: [
        "build_id": .string(artifact.buildID), "tree_hash": .string(artifact.manifest.treeHash),
        "reused": true,
        "operation_type": "upgrade",
      ])
    return StagingResult(plan: plan, manifest: artifact.manifest, reused: true, state: machine.state)
  }

  /// Ends the operation in FAILED: the build is deleted, the failure
  /// journaled with its step and log tail. An integrity violation also
  /// revokes executor authority.
  func fail(step: String, error: A0Error, caller: Caller, buildPath: String?, logTail: String = "")
    throws(A0Error)
    -> Never
  {
    if let buildPath, FileIO.exists(buildPath) {
      try? FileIO.removeTree(buildPath)
      try? FileIO.fsyncDirectory(paths.builds)
      _ = try? machine.record(
        eventType: "temp_cleanup_completed", actor: "system",
        details: ["build_path": .string(buildPath), "operation_id": .optional(machine.state.operationID)])
    }
    let integrity = error.kind == .integrityViolation
    try machine.record(
      eventType: "staging_failed", actor: caller.actor,
      details: [
        "step": .string(step), "error": .string(error.message), "log_tail": .string(logTail),
        "operation_id": .optional(machine.state.operationID),
      ])
    let now = machine.clock.now()
    try machine.transition(
      to: .failed, reason: integrity ? .integrityViolation : .stagingFailed, caller: caller,
      notes: "staging failed at \(step): \(error.what)",
      details: [
        "operation_type": "upgrade",
        "authority_revoked": .bool(integrity && machine.state.authorityLevel == .executor),
      ]
    ) { record in
      record.lastFailure = FailureRecord(state: .staging, error: "\(step): \(error.message)", occurredAt: now)
      if integrity { record.authorityLevel = .observer }
    }
    throw error
  }

  // MARK: - The build

  func build(plan: StagingPlan, operationID: String, caller: Caller) throws(A0Error)
    -> (manifest: Manifest, virtualenvCopiedFrom: String?)
  {
    let buildPath = plan.buildPath
    let app = buildPath + "/app"
    let started = machine.clock.now()
    var step = "initialize"
    var status = StagingStatusFile(
      path: buildPath + "/status.json", operationID: operationID, version: plan.version, buildID: operationID,
      startedAt: started)
    var log: BuildLog?
    // Each step starts by checking for an interrupt: a signal that arrives
    // while no child runs (the venv copy, the hashing) must still fail the
    // build rather than let it be published.
    func enter(_ next: String) throws(A0Error) {
      step = next
      status.begin(step)
      try FaultPoint.reach("staging.\(step)")
      if let signal = Interrupts.pending {
        throw A0Error(.operationFailed, "interrupted by \(Interrupts.signalName(signal))")
      }
    }
    do throws(A0Error) {
      try FileIO.makeDirectory(paths.builds)
      try FileIO.makeDirectory(buildPath)
      try FileIO.writeAtomically(buildPath + "/.partial", Array("\(operationID)\n".utf8))
      try FileIO.fsyncDirectory(paths.builds)
      log = try BuildLog(path: buildPath + "/build.log")
      status.write()
      try machine.record(
        eventType: "staging_started", actor: caller.actor,
        details: [
          "operation_id": .string(operationID), "build_id": .string(operationID),
          "version": .string(plan.version),
          "commit_sha": .string(plan.commitSHA), "installer": .string(plan.installer),
        ])

      try enter("clone")
      progress("cloning \(plan.version) from \(plan.url)")
      try clone(plan: plan, into: app, log: log)
      status.end(step, status: "ok")

      try enter("check")
      try checkTree(app)
      if let apiCommit = try Upstream(config: config, runner: runner).apiCommit(for: plan.version),
        apiCommit != plan.commitSHA
      {
        throw A0Error(
          .integrityViolation,
          "the GitHub API names \(apiCommit) for \(plan.version), approved was \(plan.commitSHA)")
      }
      status.end(step, status: "ok")

      try enter("link-data")
      try linkData(app: app, skeleton: buildPath + "/skeleton", log: log)
      status.end(step, status: "ok")

      try enter("dependencies")
      let prepared = try prepareDependencies(plan: plan, app: app, log: log)
      // The bytecode pass reads only the release's own sources (the user
      // data is linked out already), so it runs while the venv is built.
      let precompiling = startPrecompile(app: app, interpreter: prepared.interpreter, buildPath: buildPath)
      defer {
        if let precompiling {
          precompiling.process.stop()
          children.removeBackground(precompiling.process.pid)
        }
      }
      let dependencies = try copyOrInstall(prepared, log: log)
      if let source = dependencies.copiedFrom { status.set("virtualenv_copied_from", .string(source)) }
      status.end(step, status: "ok")
      try machine.record(
        eventType: "dependencies_installed", actor: "system",
        details: [
          "operation_id": .string(operationID), "installer": .string(plan.installer),
          "python": .string(dependencies.python), "dependency_key": .optional(dependencies.key),
          "virtualenv_copied_from": .optional(dependencies.copiedFrom),
          "virtualenv_copy_refused": .optional(dependencies.copyRefused),
        ])
      // After the journal's fsync, which would otherwise queue behind it.
      let dependenciesWritten = FileIO.startFlushing(holding: buildPath)

      try enter("precompile")
      progress("precompiling bytecode")
      finishPrecompile(precompiling, log: log)
      status.end(step, status: "ok")

      try enter("hash")
      progress("hashing the release")
      let digest = try TreeHasher.digest(root: app)
      status.set("files_hashed", .int(digest.entries.count))
      // A copied virtualenv was hashed when it was checked; nothing has written to it since.
      let venvDigest: TreeDigest
      if let copied = dependencies.virtualenvDigest {
        venvDigest = copied
      } else {
        venvDigest = try TreeHasher.digest(
          root: app + "/.venv", excludingTopLevel: [], includingBytecode: true)
      }
      status.end(step, status: "ok")
      try machine.record(
        eventType: "checksums_computed", actor: "system",
        details: [
          "operation_id": .string(operationID), "files": .int(digest.entries.count),
          "tree_hash": .string(digest.treeHash), "virtualenv_hash": .string(venvDigest.treeHash),
        ])

      try enter("manifest")
      let manifest = Manifest(
        version: plan.version, builtAt: machine.clock.now().iso8601, sourceURL: plan.url,
        commitSHA: plan.commitSHA,
        files: digest.files, treeHash: digest.treeHash, buildID: operationID,
        buildLogPath: buildPath + "/build.log",
        virtualenvHash: venvDigest.treeHash, python: dependencies.python, installer: plan.installer,
        dependencyKey: dependencies.key)
      log?.note(
        "tree hash \(digest.treeHash) over \(digest.entries.count) files; venv \(venvDigest.treeHash)")
      log?.sync()
      try FileIO.writeAtomically(buildPath + "/manifest.json", Array(manifest.json.prettyString.utf8))
      status.end(step, status: "ok")

      try enter("publish")
      // What git and the installer wrote reaches the disk before the build
      // can be published, and the marker goes before the link: once
      // published, a build is never partial, even after a power loss.
      dependenciesWritten()
      try FileIO.syncFilesystem(holding: buildPath)
      try FileIO.removeTree(buildPath + "/.partial")
      try FileIO.fsyncDirectory(buildPath)
      try Artifacts.publish(paths, version: plan.version, buildID: operationID)
      status.end(step, status: "ok")
      try machine.record(
        eventType: "artifact_stored", actor: "system",
        details: [
          "operation_id": .string(operationID), "version": .string(plan.version),
          "build_id": .string(operationID),
          "tree_hash": .string(digest.treeHash),
        ])
      status.set("result", "published")
      try machine.transition(
        to: .validating, reason: .stagingCompleted, caller: caller,
        notes: "artifact \(plan.version) published (build \(operationID))",
        details: [
          "build_id": .string(operationID), "tree_hash": .string(digest.treeHash),
          "operation_type": "upgrade",
          "duration_ms": .int(machine.clock.now().millisecondsSinceEpoch - started.millisecondsSinceEpoch),
        ])
      return (manifest, dependencies.copiedFrom)
    } catch {
      if step == "clone" {
        _ = try? machine.record(
          eventType: "clone_failed", actor: "system",
          details: ["operation_id": .string(operationID), "error": .string(error.message)])
      } else if step == "dependencies" {
        _ = try? machine.record(
          eventType: "dependencies_failed", actor: "system",
          details: ["operation_id": .string(operationID), "error": .string(error.message)])
      }
      var failure = error
      if let signal = Interrupts.pending {
        failure = A0Error(
          .operationFailed, "staging was interrupted by \(Interrupts.signalName(signal))",
          next: "The build was deleted; run `a0 begin-staging` again with a new approval")
      }
      let tail =
        log.map { _ in (try? FileIO.read(buildPath + "/build.log")).flatMap { $0 } }.flatMap { $0 }
        .map { String(decoding: $0.suffix(4000), as: UTF8.self) } ?? ""
      log = nil
      try fail(step: step, error: failure, caller: caller, buildPath: buildPath, logTail: tail)
    }
  }

  func run(_ spec: CommandLineSpec, log: BuildLog?, what: String) throws(A0Error) -> ProcessResult {
    if let signal = Interrupts.pending {
      throw A0Error(.operationFailed, "interrupted by \(Interrupts.signalName(signal))")
    }
    let result = try runner.run(spec)
    log?.command(spec, result)
    if result.interrupted {
      throw A0Error(.operationFailed, "\(what) was interrupted")
    }
    if result.timedOut {
      throw A0Error(
        .operationFailed, "\(what) did not finish within \(Int(spec.timeoutSeconds)) s",
        why: result.tail(lines: 5), next: "Its process group was stopped; see build.log")
    }
    guard result.succeeded else {
      throw A0Error(.operationFailed, "\(what) failed (exit \(result.status))", why: result.tail(lines: 8))
    }
    return result
  }

  func clone(plan: StagingPlan, into app: String, log: BuildLog?) throws(A0Error) {
    let timeout = Double(config.upstream.timeoutSeconds)
    let started = monotonicMilliseconds()
    _ = try run(
      CommandLineSpec(
        ["git"] + Git.safetyOptions + [
          "clone", "--quiet", "--depth", "1", "--branch", plan.version, "--single-branch", "--template=",
          "-c", "advice.detachedHead=false", "--", plan.url, app,
        ], environment: Git.environment, timeoutSeconds: timeout), log: log, what: "git clone")
    let head = try run(
      CommandLineSpec(
        ["git"] + Git.safetyOptions + ["-C", app, "rev-parse", "--verify", "HEAD^{commit}"],
        environment: Git.environment,
        timeoutSeconds: timeout), log: log, what: "git rev-parse")
    let sha = head.stdoutText.trimmingWhitespace
    guard sha == plan.commitSHA else {
      throw A0Error(
        .integrityViolation, "tag \(plan.version) now names \(sha), but \(plan.commitSHA) was approved",
        why: "the tag moved upstream after the approval", next: "Do not use this version until you know why")
    }
    // Agent Zero's health output reads git information; a detached HEAD
    // breaks it. The branch is made with plumbing: the work tree is already
    // the commit, and `checkout` would re-read every file to find that out.
    let branch = "refs/heads/release/" + plan.version
    _ = try run(
      CommandLineSpec(
        ["git"] + Git.safetyOptions + ["-C", app, "update-ref", "--no-deref", branch, sha],
        environment: Git.environment,
        timeoutSeconds: timeout), log: log, what: "git update-ref")
    _ = try run(
      CommandLineSpec(
        ["git"] + Git.safetyOptions + ["-C", app, "symbolic-ref", "HEAD", branch],
        environment: Git.environment,
        timeoutSeconds: timeout), log: log, what: "git symbolic-ref")
    try machine.record(
      eventType: "clone_completed", actor: "system",
      details: [
        "version": .string(plan.version), "commit_sha": .string(sha),
        "duration_ms": .int(monotonicMilliseconds() - started),
      ])
  }

  /// Refuses trees a release must never contain: what a0 builds itself
  /// (`.venv`, where its configuration would steer the installer and which
  /// the tree hash does not cover), symlinks that point outside the tree,
  /// and names the tree hash cannot record (newlines).
  func checkTree(_ app: String) throws(A0Error) {
    if FileIO.exists(app + "/.venv") {
      throw A0Error(
        .integrityViolation, "the upstream tree has a .venv",
        why: "a0 builds the release's virtualenv itself; one shipped in the release could carry "
          + "installer configuration or code outside the tree hash",
        next: "Do not use this version; a release must not commit .venv/")
    }
    func walk(_ relative: String) throws(A0Error) {
      let directory = relative.isEmpty ? app : app + "/" + relative
      for name in try FileIO.listDirectory(directory) {
        if relative.isEmpty && name == ".git" { continue }
        let path = relative.isEmpty ? name : relative + "/" + name
        if name.contains("\n") || name.contains("\r") {
          throw A0Error(
            .integrityViolation, "the upstream tree has a file name with a line break",
            why: path.debugDescription)
        }
        var info = stat()
        guard lstat(app + "/" + path, &info) == 0 else { continue }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: try walk(path)
        case S_IFLNK:
          let target = FileIO.readLink(app + "/" + path) ?? ""
          let resolved = HomePaths.absolutePath(target, relativeTo: FileIO.parent(of: app + "/" + path))
          if target.hasPrefix("/") || !(resolved == app || resolved.hasPrefix(app + "/")) {
            throw A0Error(
              .integrityViolation, "the upstream tree has a symlink pointing outside it",
              why: "\(path) -> \(target)")
          }
        default: continue
        }
      }
    }
    try walk("")
  }

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
    /// uv's path, when it is the installer.
    var uv: String?
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
    /// Whether the index decides what is installed (no closed world).
    var resolvesFromIndex = false
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
      installer: installer, uv: installer == .uv ? machine.children.find("uv") : nil,
      interpreter: interpreter, venv: venv,
      requirements: requirements, overrides: overrides,
      installArguments: indexArguments + config.python.installArgs, app: app,
      timeout: Double(config.python.installTimeoutSeconds))
    guard installer == .uv, let uv = prepared.uv else { return prepared }
    if let inputs = VirtualenvReuse.inputs(
      python: config.python, installer: .uv, installerPath: uv, interpreterPath: interpreter,
      installArguments: prepared.installArguments + overrides.flatMap { ["--overrides", $0] },
      requirementFiles: requirementFiles)
    {
      // A closed world: the inputs decide, before anything is resolved.
      prepared.key = Digest.sha256Hex(inputs.canonicalBytes)
    } else {
      // An index: what it resolves to today decides.
      prepared.resolvesFromIndex = true
      let resolved = try resolve(prepared, uv: uv, log: log)
      prepared.resolved = resolved
      prepared.key = VirtualenvReuse.inputs(
        resolvedRequirements: resolved.bytes, installer: .uv, installerPath: uv, interpreterPath: interpreter,
        installArguments: prepared.installArguments
      ).map { Digest.sha256Hex($0.canonicalBytes) }
    }
    if let key = prepared.key, !plan.rebuild {
      prepared.copySource = VirtualenvReuse.candidate(paths, key: key)
    }
    return prepared
  }

  /// Copies the venv of an artifact with the same dependency inputs, or
  /// installs when there is none or its copy is refused.
  func copyOrInstall(_ prepared: PreparedDependencies, log: BuildLog?) throws(A0Error)
    -> InstalledDependencies
  {
    guard let source = prepared.copySource else {
      progress("creating the virtualenv and installing requirements (\(prepared.installer.rawValue))")
      return try install(prepared, log: log)
    }
    let same = prepared.resolvesFromIndex ? "same resolved requirements" : "same dependency inputs"
    progress("copying the virtualenv of build \(source.buildID) (\(same))")
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
      progress("installing requirements (\(prepared.installer.rawValue)): \(reason)")
      var installed = try install(prepared, log: log)
      installed.copyRefused = reason
      return installed
    }
  }

  /// What uv reads from its environment: a0's own cache, no progress bars.
  func uvEnvironment(venv: String) -> [String: String] {
    ["UV_CACHE_DIR": paths.cache + "/uv", "UV_NO_PROGRESS": "1", "VIRTUAL_ENV": venv]
  }

  /// Resolves every requirements file in one resolution, the overrides
  /// winning — as Agent Zero's own recipe gets in two passes — into a file
  /// beside the release that pins every package with the hashes of its
  /// files. The install then syncs exactly that set and checks every hash,
  /// so what was resolved (and keyed) is what is installed, and an index
  /// that serves other bytes under a known version changes the key.
  func resolve(_ prepared: PreparedDependencies, uv: String, log: BuildLog?) throws(A0Error)
    -> ResolvedRequirements
  {
    let resolved = FileIO.parent(of: prepared.app) + "/resolved-requirements.txt"
    let files = (prepared.requirements + prepared.overrides).map { prepared.app + "/" + $0 }
    let overrides = prepared.overrides.flatMap { ["--overrides", prepared.app + "/" + $0] }
    _ = try runInstall(
      CommandLineSpec(
        [
          uv, "pip", "compile", "--no-config", "--quiet", "--python", prepared.interpreter, "--no-header",
          "--no-annotate", "--generate-hashes", "--output-file", resolved,
        ] + prepared.installArguments + overrides + ["--"] + files,
        environment: uvEnvironment(venv: prepared.venv), workingDirectory: prepared.app,
        timeoutSeconds: prepared.timeout), log: log,
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
      // No configuration file from the release or the user chooses sources
      // or options: a0's arguments are the whole install.
      let environment = uvEnvironment(venv: venv)
      _ = try run(
        CommandLineSpec(
          [
            uv, "venv", "--quiet", "--no-config", "--relocatable", "--python", prepared.interpreter, "--",
            venv,
          ],
          environment: environment, workingDirectory: app, timeoutSeconds: timeout), log: log, what: "uv venv"
      )
      if !(prepared.requirements + prepared.overrides).isEmpty {
        let resolved: ResolvedRequirements
        if let known = prepared.resolved {
          resolved = known
        } else {
          resolved = try resolve(prepared, uv: uv, log: log)
        }
        // Exactly the resolved set. The venv's bytecode is written now, on
        // all cores, as pip does by default: the import check and
        // production's first start load it instead of compiling it.
        _ = try runInstall(
          CommandLineSpec(
            [
              uv, "pip", "sync", "--no-config", "--python", venvPython, "--link-mode", "copy",
              "--compile-bytecode", "--require-hashes",
            ] + prepared.installArguments + ["--", resolved.path], environment: environment,
            workingDirectory: app, timeoutSeconds: timeout), log: log,
          what: "uv pip sync the resolved requirements")
      }
    case .pip, .auto:
      _ = try run(
        CommandLineSpec(
          [prepared.interpreter, "-m", "venv", "--", venv], workingDirectory: app, timeoutSeconds: timeout),
        log: log, what: "python -m venv")
      // pip has no overrides: they are a second pass, as in Agent Zero's recipe.
      for pass in [prepared.requirements, prepared.overrides] where !pass.isEmpty {
        _ = try runInstall(
          CommandLineSpec(
            [
              venvPython, "-m", "pip", "install", "--isolated", "--disable-pip-version-check", "--no-input",
              "--no-cache-dir",
            ]
              + prepared.installArguments + pass.flatMap { ["-r", app + "/" + $0] },
            environment: PipIsolation.environment, workingDirectory: app,
            timeoutSeconds: timeout), log: log,
          what: "pip install " + pass.map { "-r \($0)" }.joined(separator: " "))
      }
    case .none:
      _ = try run(
        CommandLineSpec(
          [prepared.interpreter, "-m", "venv", "--without-pip", "--", venv], workingDirectory: app,
          timeoutSeconds: timeout),
        log: log, what: "python -m venv")
    }
    let version = try run(
      CommandLineSpec(
        [venvPython, "-I", "-S", "-c", "import sys; print(sys.version.split()[0])"], timeoutSeconds: 60),
      log: log, what: "python --version")
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

  /// Replaces each linked data path by a relative symlink into
  /// `.billy/shared/`, moving what upstream ships there to the build's
  /// skeleton (DESIGN.md §3). The release is then complete and immutable.
  func linkData(app: String, skeleton: String, log: BuildLog?) throws(A0Error) {
    try FileIO.makeDirectory(paths.shared)
    for entry in config.data.linkedPaths {
      let linked = LinkedPath(entry)
      let inRelease = app + "/" + linked.relative
      let inShared = paths.shared + "/" + linked.relative
      try LinkedPath.makeParents(of: inShared, under: paths.shared)
      try linked.createEmpty(at: inShared)
      if FileIO.exists(inRelease) {
        let target = skeleton + "/" + linked.relative
        try LinkedPath.makeParents(of: target, under: skeleton)
        try FileIO.rename(inRelease, to: target)
        log?.note("moved upstream's \(linked.relative) to the skeleton")
      }
      try LinkedPath.makeParents(of: inRelease, under: app)
      guard symlink(linked.releaseLinkTarget, inRelease) == 0 else {
        throw A0Error(
          .operationFailed, "cannot link \(linked.relative) into shared data", why: FileIO.errnoText())
      }
    }
  }

  /// The bytecode pass, running in the background; see `startPrecompile`.
  struct Precompile {
    let process: BackgroundProcess
    let spec: CommandLineSpec
    let startedAt: Int64
  }

  /// Best effort: compile errors are logged, and validation's import check
  /// reports them. Symlinked directories (user data) are never entered,
  /// and nothing is written through a `__pycache__` that is a link (the
  /// tree hash skips it, and it could lead into the user data).
  /// With `-I -S` the base interpreter the venv is made from writes the
  /// same bytecode as the venv's, so the pass needs no venv yet.
  /// The script calls the functions `py_compile.compile` is made of, from
  /// the import system the interpreter has already loaded: importing
  /// `py_compile` itself (enum, traceback, tokenize, re) triples the pass's
  /// start-up, and it runs beside the venv copy on the same cores. An
  /// interpreter without them gets `py_compile`.
  func startPrecompile(app: String, interpreter: String, buildPath: String) -> Precompile? {
    let script = """
      import os, sys
      try:
          from _frozen_importlib_external import (
              _calc_mode, _code_to_timestamp_pyc, _write_atomic, cache_from_source)
          def compile_file(path):
              pyc = cache_from_source(path)
              if os.path.islink(pyc) or (os.path.exists(pyc) and not os.path.isfile(pyc)):
                  raise OSError("%s is not a regular file" % pyc)
              with open(path, "rb") as source:
                  stats = os.fstat(source.fileno())
                  data = source.read()
              code = compile(data, path, "exec", dont_inherit=True)
              os.makedirs(os.path.dirname(pyc), exist_ok=True)
              _write_atomic(pyc, _code_to_timestamp_pyc(code, stats.st_mtime, stats.st_size), _calc_mode(path))
      except ImportError:
          import py_compile
          def compile_file(path):
              try:
                  py_compile.compile(path, doraise=True)
              except py_compile.PyCompileError as error:
                  raise SyntaxError(error.msg)
      root = sys.argv[1]
      errors = 0
      for directory, dirs, files in os.walk(root):
          dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))
                     and not (directory == root and d in (".git", ".venv"))]
          cache = os.path.join(directory, "__pycache__")
          if os.path.islink(cache) or (os.path.lexists(cache) and not os.path.isdir(cache)):
              errors += sum(1 for name in files if name.endswith(".py"))
              print("%s is not a directory of the release: nothing is compiled beside it" % cache, file=sys.stderr)
              continue
          for name in files:
              path = os.path.join(directory, name)
              if name.endswith(".py") and not os.path.islink(path):
                  try:
                      compile_file(path)
                  except (SyntaxError, ValueError, OSError) as error:
                      errors += 1
                      print("%s: %s" % (path, error), file=sys.stderr)
      print(errors, "files did not compile")
      """
    let spec = CommandLineSpec(
      [interpreter, "-I", "-S", "-c", script, app], workingDirectory: app,
      timeoutSeconds: Double(config.validation.checkTimeoutSeconds))
    guard
      let process = try? BackgroundProcess(spec, in: machine.children, logPath: buildPath + "/precompile.log")
    else {
      return nil
    }
    children.addBackground(process.pid)
    return Precompile(process: process, spec: spec, startedAt: monotonicMilliseconds())
  }

  /// Waits for the bytecode pass within its timeout, and moves its output
  /// into the build log.
  func finishPrecompile(_ running: Precompile?, log: BuildLog?) {
    guard let running else {
      log?.note("precompiling could not start; the release runs from its sources")
      return
    }
    let deadline = running.startedAt + Int64(running.spec.timeoutSeconds * 1000)
    let status = running.process.waitForExit(deadline: deadline)
    if status == nil { running.process.stop() }
    children.removeBackground(running.process.pid)
    log?.command(
      running.spec, outputs: [running.process.outputTail(bytes: 64 * 1024)],
      outcome: status.map { "exit \($0)" } ?? "timed out",
      durationMilliseconds: monotonicMilliseconds() - running.startedAt)
    try? FileIO.removeTree(running.process.logPath)
  }
}
