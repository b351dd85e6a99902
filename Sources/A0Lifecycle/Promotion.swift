import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// What a promotion needs to undo itself, written before production is
/// touched: `snapshots/<op_id>/context.json`.
struct PromotionContext {
  var operationID: String
  var version: String
  var buildID: String
  var previous: ProductionInfo?

  var json: JSONValue {
    [
      "operation_id": .string(operationID), "version": .string(version), "build_id": .string(buildID),
      "previous": previous?.json ?? .null,
    ]
  }

  init(operationID: String, version: String, buildID: String, previous: ProductionInfo?) {
    self.operationID = operationID
    self.version = version
    self.buildID = buildID
    self.previous = previous
  }

  init?(json: JSONValue) {
    guard let operation = json["operation_id"]?.stringValue, let version = json["version"]?.stringValue,
      let build = json["build_id"]?.stringValue
    else { return nil }
    self.init(
      operationID: operation, version: version, buildID: build,
      previous: json["previous"].flatMap { ProductionInfo(json: $0) })
  }
}

/// Puts a validated artifact into production and proves it healthy, or
/// undoes it — code and user data (DESIGN.md §6 step 4).
public final class Promoter {
  let machine: Machine
  let progress: ProgressReporter
  /// Service commands may leave a daemon behind them on purpose.
  let restartRunner: any CommandRunning

  public init(machine: Machine, progress: ProgressReporter = .silent) {
    self.machine = machine
    self.restartRunner = machine.runner(killGroupOnExit: false)
    self.progress = progress
  }

  var paths: HomePaths { machine.paths }
  var config: Config { machine.config }
  var link: String { paths.productionLink(config) }

  func snapshotDirectory(_ operationID: String) -> String { paths.snapshots + "/" + operationID }

  public struct Outcome: Sendable {
    public var state: StateRecord
    public var healthy: Bool
    public var detail: String
    public var production: ProductionInfo?
  }

  /// The newest full, passing report for this operation and tree hash,
  /// matched against the journal's `validation_passed` event.
  func passingReport(version: String, operationID: String, treeHash: String) throws(A0Error) -> String? {
    let directory = paths.reports + "/" + version
    guard FileIO.isDirectory(directory) else { return nil }
    // Back to the entry into VALIDATING, not to the last state write: a
    // grant, a refused attempt or `a0 verify` while the promotion waits
    // (for its window, say) leaves the validation standing.
    let events = try machine.journal.events(backTo: {
      $0.eventType == "state_transition"
        && $0.details["to"]?.stringValue == LifecycleState.validating.rawValue
    })
    let vouched = Set(
      events.filter {
        $0.eventType == "validation_passed" && $0.details["operation_id"]?.stringValue == operationID
      }
      .compactMap { $0.details["report_sha256"]?.stringValue })
    for name in try FileIO.listDirectory(directory).sorted().reversed() where name.hasPrefix("validation-") {
      guard let bytes = try FileIO.read(directory + "/" + name), let report = try? JSONValue.parse(bytes)
      else {
        continue
      }
      guard report["passed"] == .bool(true), report["partial"] == .bool(false),
        report["operation_id"]?.stringValue == operationID, report["tree_hash"]?.stringValue == treeHash,
        vouched.contains(Digest.sha256Hex(bytes))
      else { continue }
      return directory + "/" + name
    }
    return nil
  }

  /// Checks promote may run; throws exit 2 with the reason otherwise.
  public func checkPromotable() throws(A0Error) -> (ArtifactInfo, String) {
    let (operation, operationID) = try machine.validatingOperation(
      for: .promote, next: "See `a0 explain-state`")
    guard let artifact = try Artifacts.find(paths, version: operation.targetVersion) else {
      throw A0Error(
        .wrongState, "the artifact of \(operation.targetVersion) is missing", next: "Stage it again")
    }
    guard
      let report = try passingReport(
        version: artifact.version, operationID: operationID, treeHash: artifact.manifest.treeHash)
    else {
      throw A0Error(
        .wrongState,
        "no passing validation report for \(artifact.version) at tree hash \(artifact.manifest.treeHash.prefix(16))…",
        why: "promote needs a full `a0 validate` that passed for this operation and this exact tree",
        next: "Run `a0 validate`")
    }
    return (artifact, report)
  }

  /// `outsideWindow`: a human's override of `[policy] promote_windows`.
  public func promote(caller: Caller, outsideWindow: Bool = false) throws(A0Error) -> Outcome {
    let (artifact, report) = try checkPromotable()
    let overridden = try PromotionWindow(machine: machine).require(overridden: outsideWindow)
    let operationID = machine.state.operationID ?? artifact.buildID
    // Re-verify right before production sees it: a file edited since
    // validation is caught here, and production is not touched.
    do {
      _ = try Artifacts.verify(artifact)
    } catch {
      try machine.record(
        eventType: "promotion_refused", actor: caller.actor,
        details: ["operation_id": .string(operationID), "error": .string(error.message)])
      throw A0Error(
        .wrongState, "the artifact changed since it was validated", why: error.why ?? error.what,
        next: "Nothing was promoted; clear it and stage \(artifact.version) again with --rebuild")
    }
    let previous = ProductionInfo.read(paths)
    let context = PromotionContext(
      operationID: operationID, version: artifact.version, buildID: artifact.buildID, previous: previous)
    let snapshot = snapshotDirectory(operationID)
    try FileIO.makeDirectory(paths.snapshots)
    try FileIO.removeTree(snapshot)
    try FileIO.makeDirectory(snapshot)
    try FileIO.writeAtomically(snapshot + "/context.json", Array(context.json.prettyString.utf8))
    try FileIO.fsyncDirectory(paths.snapshots)
    try machine.transition(
      to: .promoting, reason: .promotionStarted, caller: caller,
      notes:
        "promoting \(artifact.version) (build \(artifact.buildID)) over \(previous?.version ?? "nothing")",
      details: [
        "operation_id": .string(operationID), "build_id": .string(artifact.buildID),
        "report": .string(report),
        "previous_version": .optional(previous?.version), "previous_build_id": .optional(previous?.buildID),
        "operation_type": .optional(machine.state.activeOperation?.type.rawValue),
        "outside_window": .optional(overridden?.windows),
      ])
    return try continuePromotion(context, caller: caller, switched: false)
  }

  /// From PROMOTING: snapshot, skeleton, switch, restart, health. Also the
  /// path recovery takes when it finds the link already switched.
  func continuePromotion(_ context: PromotionContext, caller: Caller, switched: Bool) throws(A0Error)
    -> Outcome
  {
    let snapshot = snapshotDirectory(context.operationID)
    let newTarget = ".billy/builds/\(context.buildID)/app"
    do throws(A0Error) {
      if !switched {
        try progress.step("snapshot", "user data") { () throws(A0Error) in
          try takeSnapshot(snapshot)
          try FaultPoint.reach("promote.after-snapshot")
          try copyMissingSkeleton(buildID: context.buildID)
        }
        try progress.step("switch", "production to \(context.version)") { () throws(A0Error) in
          try AtomicLink.replace(link: link, target: newTarget)
          try FaultPoint.reach("promote.after-switch")
        }
        try machine.record(
          eventType: "production_switched", actor: "system",
          details: [
            "operation_id": .string(context.operationID), "link": .string(link), "target": .string(newTarget),
            "previous_target": .optional(context.previous.map { ".billy/builds/\($0.buildID)/app" }),
          ])
      }
      try progress.step("restart") { () throws(A0Error) in try restart(version: context.version) }
      try FaultPoint.reach("promote.after-restart")
    } catch {
      return try rollBack(context, caller: caller, reason: "promotion failed: \(error.message)")
    }
    progress.begin("health", config.service.healthURL)
    let outcome = HealthProbe(http: machine.http(), report: progress.doing).waitUntilHealthy(
      url: config.service.healthURL, timeoutSeconds: Double(config.service.healthTimeoutSeconds),
      intervalSeconds: Double(config.service.healthIntervalSeconds),
      stableSeconds: Double(config.service.stableSeconds), expecting: machine.healthVersion(context.version),
      stillRunning: { serviceRuns(version: context.version) })
    progress.end(outcome.healthy ? .ok : .failed, outcome.detail)
    try FaultPoint.reach("promote.after-health")
    try writeHealth(outcome, version: context.version)
    guard outcome.healthy else {
      return try rollBack(
        context, caller: caller,
        reason: "\(context.version) failed its health check in production: \(outcome.detail)")
    }
    let artifact = try Artifacts.manifest(paths, buildID: context.buildID)
    let production = ProductionInfo(
      version: context.version, commitSHA: artifact.commitSHA, buildID: context.buildID,
      treeHash: artifact.treeHash,
      deployedAt: machine.clock.now().iso8601)
    var versionJSON = production.json
    if case .object(var members) = versionJSON {
      members["previous_build_id"] = .optional(context.previous?.buildID)
      members["previous_version"] = .optional(context.previous?.version)
      versionJSON = .object(members)
    }
    try FileIO.writeAtomically(paths.versionFile, Array(versionJSON.prettyString.utf8))
    try FaultPoint.reach("promote.after-version-file")
    let operationType = machine.state.activeOperation?.type.rawValue ?? "upgrade"
    try machine.transition(
      to: .complete, reason: .healthCheckPassed, caller: caller,
      notes: "\(context.version) is in production and healthy",
      details: [
        "operation_id": .string(context.operationID), "build_id": .string(context.buildID),
        "operation_type": .string(operationType), "health": .string(outcome.detail),
      ]
    ) { record in
      record.observedState = .consistent
    }
    return Outcome(state: machine.state, healthy: true, detail: outcome.detail, production: production)
  }

  func takeSnapshot(_ snapshot: String) throws(A0Error) {
    let data = snapshot + "/shared"
    try FileIO.removeTree(data)
    try FileIO.makeDirectory(paths.shared)
    try FileIO.copyTree(from: paths.shared, to: data)
    try FileIO.fsyncDirectory(snapshot)
    // Marked complete only once every byte is on disk (copyFile fsyncs each file).
    try FileIO.writeAtomically(snapshot + "/COMPLETE", Array("complete\n".utf8))
    try machine.record(
      eventType: "snapshot_taken", actor: "system",
      details: ["snapshot": .string(snapshot), "operation_id": .string(FileIO.baseName(of: snapshot))])
  }

  /// Skeleton files the user does not have yet are copied into shared/.
  func copyMissingSkeleton(buildID: String) throws(A0Error) {
    try SharedData.mergeSkeleton(Artifacts.buildPath(paths, buildID) + "/skeleton", into: paths.shared)
  }

  func restart(version: String) throws(A0Error) {
    let command = CommandTemplate.expand(
      config.service.restart,
      values: ["python": link + "/.venv/bin/python", "app": link, "version": version, "port": ""])
    try runService(command, what: "restart", version: version)
  }

  /// `[service] running` says whether the restarted service still runs;
  /// true when it is not configured or gives no answer in time.
  func serviceRuns(version: String) -> Bool {
    guard !config.service.running.isEmpty else { return true }
    let command = CommandTemplate.expand(
      config.service.running,
      values: ["python": link + "/.venv/bin/python", "app": link, "version": version, "port": ""])
    guard let result = try? restartRunner.run(serviceSpec(command, version: version, timeoutSeconds: 10)),
      !result.timedOut
    else { return true }
    return result.succeeded
  }

  func serviceSpec(_ command: [String], version: String, timeoutSeconds: Double) -> CommandLineSpec {
    CommandLineSpec(
      command,
      environment: [
        "A0_HOME": paths.root, "A0_RELEASE_DIR": link, "A0_VERSION": version,
        "A0_PRODUCTION_LINK": config.production.link,
      ], workingDirectory: paths.root, timeoutSeconds: timeoutSeconds)
  }

  func runService(_ command: [String], what: String, version: String) throws(A0Error) {
    let spec = serviceSpec(
      command, version: version, timeoutSeconds: Double(config.service.restartTimeoutSeconds))
    let result = try restartRunner.run(spec)
    try machine.record(
      eventType: "service_\(what)", actor: "system",
      details: [
        "command": .array(command.map(JSONValue.string)), "exit_status": .int(Int(result.status)),
        "timed_out": .bool(result.timedOut), "output_tail": .string(result.tail(lines: 10)),
      ])
    guard result.succeeded else {
      throw A0Error(
        .operationFailed, "the \(what) command failed",
        why: result.timedOut
          ? "timed out after \(config.service.restartTimeoutSeconds) s"
          : "exit \(result.status): \(result.tail(lines: 3))")
    }
  }

  func writeHealth(_ outcome: HealthProbe.Outcome, version: String) throws(A0Error) {
    let record: JSONValue = [
      "status": outcome.healthy ? "HEALTHY" : (outcome.lastStatus == nil ? "UNHEALTHY" : "DEGRADED"),
      "checked_at": .string(machine.clock.now().iso8601), "version": .string(version),
      "details": [
        "url": .string(config.service.healthURL), "detail": .string(outcome.detail),
        "attempts": .int(outcome.attempts), "last_status": outcome.lastStatus.map { .int($0) } ?? .null,
        "last_body": .string(outcome.lastBody),
      ],
    ]
    try FileIO.writeAtomically(paths.lastHealthCheck, Array(record.prettyString.utf8))
  }
}
