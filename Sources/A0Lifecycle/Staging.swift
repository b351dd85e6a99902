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
  let runner: any CommandRunning
  let progress: ProgressReporter
  /// The lock file names the running children's process groups, so
  /// recovery after a crash can stop what this process started.
  let children: ChildGroupRecord

  public init(machine: Machine, progress: ProgressReporter = .silent) {
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
    let reason = machine.stagingReason
    try machine.requireUnlocked(for: .beginStaging)
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
    try machine.checkTransition(to: .staging, reason: reason, for: .beginStaging)
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
    progress.begin("verify", "reusing artifact \(artifact.version) (build \(artifact.buildID))")
    do {
      _ = try Artifacts.verify(artifact)
      progress.end()
    } catch {
      progress.end(.failed, error.message)
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

  func run(_ spec: CommandLineSpec, log: BuildLog?, what: String) throws(A0Error) -> ProcessResult {
    if let signal = Interrupts.pending {
      throw A0Error(.operationFailed, "interrupted by \(Interrupts.signalName(signal))")
    }
    var watched = spec
    watched.onOutputLine = { [progress] line in progress.doing(line) }
    let result = try runner.run(watched)
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
}
