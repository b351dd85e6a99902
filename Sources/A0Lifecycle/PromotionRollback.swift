import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// A promotion that did not end healthy is undone: the previous release
/// linked back, its user data restored from the snapshot, restarted and
/// health-checked; and an interrupted promotion is recovered the same way.
extension Promoter {
  /// PROMOTING → ROLLING_BACK → IDLE, or FAILED_HARD when any step of the
  /// rollback fails (production state unknown; executor revoked).
  func rollBack(_ context: PromotionContext, caller: Caller, reason: String) throws(A0Error) -> Outcome {
    if machine.state.currentState == .promoting {
      try machine.transition(
        to: .rollingBack, reason: .healthCheckFailed, caller: .system, notes: reason,
        details: ["operation_id": .string(context.operationID), "build_id": .string(context.buildID)])
    }
    let now = machine.clock.now()
    do throws(A0Error) {
      try Interrupts.shielding { () throws(A0Error) in try restorePrevious(context) }
    } catch {
      try machine.transition(
        to: .failedHard, reason: .rollbackFailed, caller: .system,
        notes: "rollback failed: \(error.message)",
        details: [
          "operation_id": .string(context.operationID),
          "authority_revoked": .bool(machine.state.authorityLevel == .executor),
        ]
      ) { record in
        record.lastFailure = FailureRecord(
          state: .rollingBack, error: "\(reason); then the rollback failed: \(error.message)", occurredAt: now
        )
        record.locks.lockReason = "rollback failed: \(error.message); production state unknown"
      }
      throw A0Error(
        .operationFailed, "the rollback failed; production state is unknown", why: error.message,
        next: "Everything is locked. Inspect production, then a human runs `a0 reset --reason TEXT`")
    }
    try machine.transition(
      to: .idle, reason: .rollbackCompleted, caller: .system,
      notes: "rolled back to \(context.previous?.version ?? "no production"): \(reason)",
      details: [
        "operation_id": .string(context.operationID),
        "restored_version": .optional(context.previous?.version),
        "operation_type": .optional(machine.state.activeOperation?.type.rawValue),
      ]
    ) { record in
      record.lastFailure = FailureRecord(state: .promoting, error: reason, occurredAt: now)
    }
    return Outcome(state: machine.state, healthy: false, detail: reason, production: context.previous)
  }

  /// Stop, switch back (or remove the link), restore the data snapshot,
  /// restart, prove the old version healthy.
  func restorePrevious(_ context: PromotionContext) throws(A0Error) {
    if !config.service.stop.isEmpty {
      let command = CommandTemplate.expand(
        config.service.stop,
        values: ["python": link + "/.venv/bin/python", "app": link, "version": context.version, "port": ""])
      try progress.step("stop", context.version) { () throws(A0Error) in
        try runService(command, what: "stop", version: context.version)
      }
    }
    try progress.step("switch-back", "production to \(context.previous?.version ?? "nothing")") {
      () throws(A0Error) in
      if let previous = context.previous {
        try FaultPoint.reach("rollback.before-switch")
        try AtomicLink.replace(link: link, target: ".billy/builds/\(previous.buildID)/app")
        try FaultPoint.reach("rollback.after-switch")
      } else if FileIO.readLink(link) != nil {
        try FileIO.removeLink(link)
        try FileIO.fsyncDirectory(paths.root)
      }
    }
    try machine.record(
      eventType: "production_switched", actor: "system",
      details: [
        "operation_id": .string(context.operationID), "link": .string(link),
        "target": .optional(context.previous.map { ".billy/builds/\($0.buildID)/app" }), "rollback": true,
      ])
    let snapshot = snapshotDirectory(context.operationID)
    if FileIO.exists(snapshot + "/COMPLETE") {
      try progress.step("restore-data", "the user data of before the promotion") { () throws(A0Error) in
        try restoreSnapshot(snapshot)
      }
    }
    guard let previous = context.previous else { return }
    try progress.step("restart", previous.version) { () throws(A0Error) in
      try restart(version: previous.version)
    }
    try FaultPoint.reach("rollback.after-restart")
    progress.begin("health", "\(previous.version) at \(config.service.healthURL)")
    let outcome = HealthProbe(http: machine.http(), report: progress.doing).waitUntilHealthy(
      url: config.service.healthURL, timeoutSeconds: Double(config.service.healthTimeoutSeconds),
      intervalSeconds: Double(config.service.healthIntervalSeconds),
      stableSeconds: Double(config.service.stableSeconds),
      expecting: machine.healthVersion(previous.version),
      stillRunning: { serviceRuns(version: previous.version) })
    progress.end(outcome.healthy ? .ok : .failed, outcome.detail)
    try writeHealth(outcome, version: previous.version)
    guard outcome.healthy else {
      throw A0Error(.operationFailed, "\(previous.version) is not healthy either", why: outcome.detail)
    }
  }

  /// Replaces shared/ by the snapshot in one step (RENAME_EXCHANGE), so
  /// user data is the pre-promotion copy or the post-promotion one, never a mix.
  func restoreSnapshot(_ snapshot: String) throws(A0Error) {
    let staged = paths.billy + "/shared.restore-" + FileIO.baseName(of: snapshot)
    try FileIO.removeTree(staged)
    try FileIO.copyTree(from: snapshot + "/shared", to: staged)
    try FileIO.fsyncDirectory(paths.billy)
    try FaultPoint.reach("rollback.before-restore")
    try FileIO.exchange(staged, paths.shared)
    try FaultPoint.reach("rollback.after-restore")
    try FileIO.removeTree(staged)
    try machine.record(
      eventType: "snapshot_restored", actor: "system",
      details: ["snapshot": .string(snapshot), "operation_id": .string(FileIO.baseName(of: snapshot))])
  }

  // MARK: - Recovery

  /// Finishes or reverses a promotion whose a0 died, by where the link
  /// points and whether the snapshot is complete (DESIGN.md §6).
  func recover() throws(A0Error) -> Outcome? {
    guard let operationID = machine.state.operationID,
      let bytes = try FileIO.read(snapshotDirectory(operationID) + "/context.json"),
      let json = try? JSONValue.parse(bytes), let context = PromotionContext(json: json)
    else {
      // Without its context nothing can be undone safely.
      let now = machine.clock.now()
      try machine.transition(
        to: machine.state.currentState == .promoting ? .rollingBack : .failedHard,
        reason: machine.state.currentState == .promoting ? .healthCheckFailed : .rollbackFailed,
        caller: .system,
        notes: "the promotion context is missing; production state unknown"
      ) { record in
        record.lastFailure = FailureRecord(
          state: .promoting, error: "promotion context missing", occurredAt: now)
      }
      if machine.state.currentState == .rollingBack {
        try machine.transition(
          to: .failedHard, reason: .rollbackFailed, caller: .system, notes: "the promotion context is missing"
        ) { record in
          record.lastFailure = FailureRecord(
            state: .rollingBack, error: "promotion context missing", occurredAt: now)
        }
      }
      return nil
    }
    if machine.state.currentState == .rollingBack {
      return try rollBack(context, caller: .system, reason: "a rollback was interrupted and has been redone")
    }
    let atNew = FileIO.readLink(link) == ".billy/builds/\(context.buildID)/app"
    try machine.record(
      eventType: "interrupted", actor: "system",
      details: [
        "reason_code": .string(ReasonCode.interrupted.rawValue), "operation_id": .string(context.operationID),
        "notes": .string(
          atNew
            ? "promotion interrupted after the switch: restarting and checking health"
            : "promotion interrupted before the switch: rolling back"),
      ])
    if atNew {
      return try continuePromotion(context, caller: .system, switched: true)
    }
    return try rollBack(
      context, caller: .system, reason: "a promotion was interrupted before production switched")
  }
}
