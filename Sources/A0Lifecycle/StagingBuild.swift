import A0Core
import A0System

/// One build in progress: its directory, its status file and log, and the
/// step it is in — what a failure reports and deletes.
final class BuildInProgress {
  let plan: StagingPlan
  let operationID: String
  let caller: Caller
  let startedAt: Timestamp
  var path: String { plan.buildPath }
  var app: String { plan.buildPath + "/app" }
  private(set) var step = "initialize"
  var status: StagingStatusFile
  var log: BuildLog?
  let progress: ProgressReporter

  init(
    plan: StagingPlan, operationID: String, caller: Caller, startedAt: Timestamp, progress: ProgressReporter
  ) {
    self.plan = plan
    self.progress = progress
    self.operationID = operationID
    self.caller = caller
    self.startedAt = startedAt
    status = StagingStatusFile(
      path: plan.buildPath + "/status.json", operationID: operationID, version: plan.version,
      buildID: operationID, startedAt: startedAt)
  }

  /// Runs one step, recorded in the status file and told to the watchers
  /// of its progress, from the same two events. Each starts by checking
  /// for an interrupt: a signal that arrives while no child runs (the venv
  /// copy, the hashing) must still fail the build rather than let it be published.
  func step<Result>(_ name: String, _ detail: String = "", _ body: () throws(A0Error) -> Result)
    throws(A0Error) -> Result
  {
    step = name
    status.begin(name)
    let result = try progress.step(name, detail) { () throws(A0Error) in
      try FaultPoint.reach("staging.\(name)")
      if let signal = Interrupts.pending {
        throw A0Error(.operationFailed, "interrupted by \(Interrupts.signalName(signal))")
      }
      return try body()
    }
    status.end(name, status: "ok")
    return result
  }

  /// The end of the build log, for the failure's journal event.
  var logTail: String {
    guard log != nil, let bytes = try? FileIO.read(path + "/build.log") else { return "" }
    return String(decoding: bytes.suffix(4000), as: UTF8.self)
  }
}

/// The build itself (DESIGN.md §6 step 2): clone, check, link the data out,
/// dependencies, bytecode, hash, manifest, publish — in that order, each a
/// step of the status file.
extension Stager {
  func build(plan: StagingPlan, operationID: String, caller: Caller) throws(A0Error)
    -> (manifest: Manifest, virtualenvCopiedFrom: String?)
  {
    let build = BuildInProgress(
      plan: plan, operationID: operationID, caller: caller, startedAt: machine.clock.now(), progress: progress
    )
    do throws(A0Error) {
      try begin(build)
      try build.step("clone", "\(plan.version) from \(plan.url)") { () throws(A0Error) in
        try clone(plan: plan, into: build.app, log: build.log)
      }
      try build.step("check") { () throws(A0Error) in try checkSource(plan: plan, app: build.app) }
      try build.step("link-data") { () throws(A0Error) in
        try linkData(app: build.app, skeleton: build.path + "/skeleton", log: build.log)
      }
      let (dependencies, dependenciesWritten) = try buildDependencies(build)
      let (digest, venvDigest) = try build.step("hash") { () throws(A0Error) in
        try hash(build, dependencies: dependencies)
      }
      let manifest = try build.step("manifest") { () throws(A0Error) in
        try writeManifest(build, dependencies: dependencies, digest: digest, venvDigest: venvDigest)
      }
      try build.step("publish") { () throws(A0Error) in try publish(build, flushing: dependenciesWritten) }
      try finish(build, treeHash: digest.treeHash)
      return (manifest, dependencies.copiedFrom)
    } catch {
      try failBuild(build, error: error)
    }
  }

  /// The build directory, marked partial until it is published, and its log.
  func begin(_ build: BuildInProgress) throws(A0Error) {
    try FileIO.makeDirectory(paths.builds)
    try FileIO.makeDirectory(build.path)
    try FileIO.writeAtomically(build.path + "/.partial", Array("\(build.operationID)\n".utf8))
    try FileIO.fsyncDirectory(paths.builds)
    build.log = try BuildLog(path: build.path + "/build.log")
    build.status.write()
    try machine.record(
      eventType: "staging_started", actor: build.caller.actor,
      details: [
        "operation_id": .string(build.operationID), "build_id": .string(build.operationID),
        "version": .string(build.plan.version), "commit_sha": .string(build.plan.commitSHA),
        "installer": .string(build.plan.installer),
      ])
  }

  /// The tree as cloned is one a release may be, and, when the GitHub API
  /// is on, names the commit that was approved.
  func checkSource(plan: StagingPlan, app: String) throws(A0Error) {
    try checkTree(app)
    let upstream = Upstream(config: config, runner: runner, http: machine.world.http(runner))
    if let apiCommit = try upstream.apiCommit(for: plan.version), apiCommit != plan.commitSHA {
      throw A0Error(
        .integrityViolation,
        "the GitHub API names \(apiCommit) for \(plan.version), approved was \(plan.commitSHA)")
    }
  }

  /// The venv, installed or copied, and the release's bytecode, compiled
  /// meanwhile. Returns what waits for the venv's files to reach the disk.
  func buildDependencies(_ build: BuildInProgress) throws(A0Error)
    -> (InstalledDependencies, @Sendable () -> Void)
  {
    var precompiling: Precompile?
    defer {
      if let precompiling {
        precompiling.process.stop()
        children.removeBackground(precompiling.process.pid)
      }
    }
    let dependencies = try build.step("dependencies") { () throws(A0Error) in
      let prepared = try prepareDependencies(plan: build.plan, app: build.app, log: build.log)
      // The bytecode pass reads only the release's own sources (the user
      // data is linked out already), so it runs while the venv is built.
      precompiling = startPrecompile(app: build.app, interpreter: prepared.interpreter, buildPath: build.path)
      let dependencies = try copyOrInstall(prepared, log: build.log)
      if let source = dependencies.copiedFrom { build.status.set("virtualenv_copied_from", .string(source)) }
      return dependencies
    }
    try machine.record(
      eventType: "dependencies_installed", actor: "system",
      details: [
        "operation_id": .string(build.operationID), "installer": .string(build.plan.installer),
        "python": .string(dependencies.python), "dependency_key": .optional(dependencies.key),
        "virtualenv_copied_from": .optional(dependencies.copiedFrom),
        "virtualenv_copy_refused": .optional(dependencies.copyRefused),
      ])
    // After the journal's fsync, which would otherwise queue behind it.
    let written = FileIO.startFlushing(holding: build.path)
    try build.step("precompile") {
      finishPrecompile(precompiling, log: build.log)
    }
    return (dependencies, written)
  }

  /// The release's tree hash, and its venv's (a copied venv was hashed
  /// when it was checked; nothing has written to it since).
  func hash(_ build: BuildInProgress, dependencies: InstalledDependencies) throws(A0Error)
    -> (TreeDigest, TreeDigest)
  {
    let tally = TreeHasher.Tally()
    let watch = progress.watch {
      let counts = tally.now
      return ProgressText.hashing(
        hashed: counts.hashed, listed: counts.listed, listingComplete: counts.listingComplete,
        bytes: counts.bytes)
    }
    defer { watch.cancel() }
    let digest = try TreeHasher.digest(root: build.app, tally: tally)
    build.status.set("files_hashed", .int(digest.entries.count))
    let venvDigest: TreeDigest
    if let copied = dependencies.virtualenvDigest {
      venvDigest = copied
    } else {
      venvDigest = try TreeHasher.digest(
        root: build.app + "/.venv", excludingTopLevel: [], includingBytecode: true, tally: tally)
    }
    try machine.record(
      eventType: "checksums_computed", actor: "system",
      details: [
        "operation_id": .string(build.operationID), "files": .int(digest.entries.count),
        "tree_hash": .string(digest.treeHash), "virtualenv_hash": .string(venvDigest.treeHash),
      ])
    return (digest, venvDigest)
  }

  func writeManifest(
    _ build: BuildInProgress, dependencies: InstalledDependencies, digest: TreeDigest, venvDigest: TreeDigest
  ) throws(A0Error) -> Manifest {
    let plan = build.plan
    let manifest = Manifest(
      version: plan.version, builtAt: machine.clock.now().iso8601, sourceURL: plan.url,
      commitSHA: plan.commitSHA, files: digest.files, treeHash: digest.treeHash, buildID: build.operationID,
      buildLogPath: build.path + "/build.log", virtualenvHash: venvDigest.treeHash,
      python: dependencies.python,
      installer: plan.installer, dependencyKey: dependencies.key)
    build.log?.note(
      "tree hash \(digest.treeHash) over \(digest.entries.count) files; venv \(venvDigest.treeHash)")
    build.log?.sync()
    try FileIO.writeAtomically(build.path + "/manifest.json", Array(manifest.json.prettyString.utf8))
    return manifest
  }

  /// What git and the installer wrote reaches the disk before the build can
  /// be published, and the marker goes before the link: once published, a
  /// build is never partial, even after a power loss.
  func publish(_ build: BuildInProgress, flushing dependenciesWritten: () -> Void) throws(A0Error) {
    dependenciesWritten()
    try FileIO.syncFilesystem(holding: build.path)
    try FileIO.removeTree(build.path + "/.partial")
    try FileIO.fsyncDirectory(build.path)
    try Artifacts.publish(paths, version: build.plan.version, buildID: build.operationID)
  }

  func finish(_ build: BuildInProgress, treeHash: String) throws(A0Error) {
    try machine.record(
      eventType: "artifact_stored", actor: "system",
      details: [
        "operation_id": .string(build.operationID), "version": .string(build.plan.version),
        "build_id": .string(build.operationID), "tree_hash": .string(treeHash),
      ])
    build.status.set("result", "published")
    try machine.transition(
      to: .validating, reason: .stagingCompleted, caller: build.caller,
      notes: "artifact \(build.plan.version) published (build \(build.operationID))",
      details: [
        "build_id": .string(build.operationID), "tree_hash": .string(treeHash), "operation_type": "upgrade",
        "duration_ms": .int(
          machine.clock.now().millisecondsSinceEpoch - build.startedAt.millisecondsSinceEpoch),
      ])
  }

  /// Journals which step failed, then fails the operation (see `fail`).
  func failBuild(_ build: BuildInProgress, error: A0Error) throws(A0Error) -> Never {
    let stepEvents = ["clone": "clone_failed", "dependencies": "dependencies_failed"]
    if let event = stepEvents[build.step] {
      _ = try? machine.record(
        eventType: event, actor: "system",
        details: ["operation_id": .string(build.operationID), "error": .string(error.message)])
    }
    var failure = error
    if let signal = Interrupts.pending {
      failure = A0Error(
        .operationFailed, "staging was interrupted by \(Interrupts.signalName(signal))",
        next: "The build was deleted; run `a0 begin-staging` again with a new approval")
    }
    let tail = build.logTail
    build.log = nil
    try fail(step: build.step, error: failure, caller: build.caller, buildPath: build.path, logTail: tail)
  }
}
