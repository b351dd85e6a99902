import A0Core
import A0System

/// `a0 rollback`: an operation of type rollback through the same states —
/// STAGING only re-verifies the existing artifact, VALIDATING runs the
/// integrity and health checks, then promotion.
public enum Rollbacks {
  public struct Target: Sendable {
    public var artifact: ArtifactInfo
    public var needsApproval: Bool
  }

  /// The version to go back to: known-good by default. Any other target
  /// needs an approval like an upgrade (marked as a downgrade).
  public static func target(_ machine: Machine, explicit: Version?) throws(A0Error) -> Target {
    let knownGood = ProductionInfo.read(path: machine.paths.knownGood)
    guard let version = explicit?.tag ?? knownGood?.version else {
      throw A0Error(
        .wrongState, "there is no known-good version to roll back to",
        next: "Pass --to VERSION (it needs an approval), or confirm an upgrade first")
    }
    guard let artifact = try Artifacts.find(machine.paths, version: version) else {
      throw A0Error(
        .wrongState, "there is no artifact of \(version) to roll back to",
        next: "Request and approve \(version) like an upgrade; it is marked as a downgrade")
    }
    if let current = ProductionInfo.read(machine.paths), current.buildID == artifact.buildID {
      throw A0Error(.wrongState, "\(version) is already in production", next: "Nothing to roll back")
    }
    return Target(artifact: artifact, needsApproval: version != knownGood?.version)
  }

  public static func begin(_ machine: Machine, target: Target, caller: Caller) throws(A0Error) {
    try machine.requireUnlocked(for: .rollback)
    try machine.checkTransition(to: .staging, reason: .rollbackRequested, for: .rollback)
    var approvalID: String?
    if target.needsApproval {
      let approval = try UpgradeRequests.usableApproval(machine, version: target.artifact.version)
      // The approval names a commit; an artifact built from another (the
      // tag moved since it was built) is not what the human approved.
      guard approval.commitSHA == target.artifact.manifest.commitSHA else {
        throw A0Error(
          .approvalRequired,
          "the approval of \(approval.version) names commit \(approval.commitSHA), "
            + "but its artifact was built from \(target.artifact.manifest.commitSHA)",
          why: "the tag has moved since the artifact was built",
          next:
            "Do not roll back to it; stage \(approval.version) again (`a0 begin-staging`) to build what was approved"
        )
      }
      approvalID = approval.requestID
      try machine.record(
        eventType: "approval_consumed", actor: caller.actor,
        details: ["request_id": .string(approval.requestID), "version": .string(approval.version)])
    }
    let now = machine.clock.now()
    let operationID = Stager.newOperationID(at: now)
    try machine.transition(
      to: .staging, reason: .rollbackRequested, caller: caller,
      notes: "rolling back to \(target.artifact.version) (build \(target.artifact.buildID))",
      details: [
        "operation_id": .string(operationID), "operation_type": "rollback",
        "build_id": .string(target.artifact.buildID),
        "request_id": .optional(approvalID),
      ]
    ) { record in
      record.activeOperation = ActiveOperation(
        type: .rollback, targetVersion: target.artifact.version, startedAt: now)
      record.operationID = operationID
    }
    do {
      _ = try Artifacts.verify(target.artifact)
    } catch {
      try machine.transition(
        to: .failed, reason: .integrityViolation, caller: caller,
        notes: "the rollback target does not verify",
        details: ["operation_type": "rollback"]
      ) { record in
        record.lastFailure = FailureRecord(state: .staging, error: error.message, occurredAt: now)
        record.authorityLevel = .observer
      }
      throw error
    }
    try machine.transition(
      to: .validating, reason: .stagingCompleted, caller: caller,
      notes: "artifact \(target.artifact.version) re-verified for rollback",
      details: [
        "build_id": .string(target.artifact.buildID), "tree_hash": .string(target.artifact.manifest.treeHash),
        "operation_type": "rollback", "reused": true,
      ])
  }
}
