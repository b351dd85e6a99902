import A0Core
import A0System

/// Retention: the newest `keep` artifacts stay, and so do the builds
/// production, known-good and the previous production use.
public enum ArtifactCleanup {
  public struct Result: Sendable {
    public var deleted: [String]
    public var kept: [String]
  }

  public static func run(_ machine: Machine, caller: Caller, keep: Int, dryRun: Bool) throws(A0Error)
    -> Result
  {
    guard !machine.state.currentState.isOperationActive else {
      throw A0Error(
        .wrongState, "not while an operation runs (\(machine.state.currentState.rawValue))",
        next: "Clean up after the operation ends")
    }
    try machine.requireUnlocked(for: .cleanupArtifacts)
    let roles = ReleaseRoles.read(machine.paths)
    let artifacts = try Artifacts.list(machine.paths).artifacts
    let newestFirst = artifacts.reversed()
    var kept: [String] = []
    var deleted: [String] = []
    var unprotectedKept = 0
    for artifact in newestFirst {
      if roles.protected.contains(artifact.buildID) {
        kept.append(artifact.version)
      } else if unprotectedKept + roles.protected.count < keep {
        unprotectedKept += 1
        kept.append(artifact.version)
      } else {
        deleted.append(artifact.version)
      }
    }
    guard !dryRun else { return Result(deleted: deleted.reversed(), kept: kept) }
    for version in deleted.reversed() {
      guard let artifact = try Artifacts.find(machine.paths, version: version) else { continue }
      try Artifacts.delete(machine.paths, version: version, buildID: artifact.buildID)
      try machine.record(
        eventType: "artifact_deleted", actor: caller.actor,
        details: [
          "version": .string(version), "build_id": .string(artifact.buildID),
          "tree_hash": .string(artifact.manifest.treeHash), "keep": .int(keep),
        ])
    }
    return Result(deleted: deleted.reversed(), kept: kept)
  }
}
