import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct BeginStaging: Operation {
  static let runsLong = true

  static let configuration = CommandConfiguration(
    commandName: "begin-staging",
    abstract:
      "Build an approved version into an immutable, checksummed artifact: IDLE/FAILED → STAGING → VALIDATING.",
    discussion: """
      Executor (or a proven human), with an approved, unexpired, unused approval for VERSION (exit 6
      otherwise). Clones the tag at depth 1 and checks the approved commit, creates the virtualenv at
      its final path and installs the requirements, links user data into .billy/shared/, precompiles,
      hashes every file, writes the manifest, and publishes artifacts/VERSION by one atomic rename.
      Any failure, timeout or SIGINT/SIGTERM deletes the build and ends in FAILED.

        $ a0 begin-staging v1.1.0
        $ a0 begin-staging v1.1.0 --dry-run
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(parsing: .allUnrecognized, help: "The approved version.")
  var version: [String] = []

  @Flag(help: "Build again even when a valid artifact of this version exists.")
  var rebuild = false

  @Flag(help: "Print the plan and change nothing.")
  var dryRun = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let target = try parseVersion(try singleValue(version, name: "version"))
    Interrupts.install()
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .beginStaging, machine, context,
      arguments: [target.tag] + (rebuild ? ["--rebuild"] : []), action: "Stage \(target).", word: target.tag
    ) { () throws(A0Error) in
      if machine.state.currentState == .validating
        && machine.state.activeOperation?.targetVersion == target.tag
      {
        return
      }
      try machine.checkTransition(to: .staging, reason: machine.stagingReason, for: .beginStaging)
    }
    let stager = Stager(machine: machine, progress: context.progress)
    let result = try stager.stage(version: target, caller: caller, rebuild: rebuild, dryRun: dryRun)
    return StagingOutput(result: result, dryRun: dryRun)
  }
}

struct StagingOutput: CommandOutput {
  let result: StagingResult
  let dryRun: Bool

  var json: JSONValue {
    [
      "dry_run": .bool(dryRun), "plan": result.plan.json, "reused": .bool(result.reused),
      "current_state": .string(result.state.currentState.rawValue),
      "manifest": result.manifest.map { manifest in
        [
          "version": .string(manifest.version), "build_id": .string(manifest.buildID),
          "tree_hash": .string(manifest.treeHash), "virtualenv_hash": .optional(manifest.virtualenvHash),
          "files": .int(manifest.files.count), "commit_sha": .string(manifest.commitSHA),
          "virtualenv_copied_from": .optional(result.virtualenvCopiedFrom),
        ]
      } ?? .null,
    ]
  }

  var text: String {
    let plan = result.plan
    if dryRun {
      return """
        Plan for \(plan.version) (nothing changed):
          upstream:     \(plan.url)
          tag:          \(plan.version) at \(plan.commitSHA)
          approval:     \(plan.requestID ?? "none")
          build:        \(plan.reusesArtifact.map { "reuse build \($0) after verifying it" } ?? plan.buildPath)
          installer:    \(plan.installer) with \(plan.interpreter)
          requirements: \(plan.requirements.joined(separator: ", "))\(plan.wheelhouse.isEmpty ? "" : " from \(plan.wheelhouse)")
          linked data:  \(plan.linkedPaths.joined(separator: " "))
        """
    }
    guard let manifest = result.manifest else {
      return "Nothing to do: \(plan.version) is already staged (\(result.state.currentState.rawValue)).\n"
    }
    return """
      Staged \(manifest.version)\(result.reused ? " (reused, verified)" : ""): build \(manifest.buildID)
        commit:    \(manifest.commitSHA)
        tree hash: \(manifest.treeHash) (\(manifest.files.count) files)
        venv hash: \(manifest.virtualenvHash ?? "-")\(result.virtualenvCopiedFrom.map { " (copied from build \($0): same dependency key)" } ?? "")
      State: \(result.state.currentState.rawValue). Next: `a0 validate`.
      """
  }
}
