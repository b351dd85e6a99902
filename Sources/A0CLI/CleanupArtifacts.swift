import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct CleanupArtifacts: Operation {
  static let configuration = CommandConfiguration(
    commandName: "cleanup-artifacts",
    abstract: "Delete old artifacts beyond the retention, never production, known-good or previous.",
    discussion: """
      Executor (or a proven human); not while an operation runs. Oldest first; each deletion is
      journaled, the link removed before the build, so no half-deleted artifact is ever listed.

        $ a0 cleanup-artifacts --keep 2 --dry-run
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "How many artifacts to keep (default: retention.keep).")
  var keep: Int?

  @Flag(help: "Show what would be deleted and delete nothing.")
  var dryRun = false

  func validate() throws {
    if let keep, keep < 0 { throw ValidationError("--keep must be 0 or more") }
  }

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .cleanupArtifacts, machine, context,
      arguments: (keep.map { ["--keep", String($0)] } ?? []) + (dryRun ? ["--dry-run"] : []),
      action: "Delete old artifacts.", word: "cleanup"
    ) {}
    let cleanup = try ArtifactCleanup.run(
      machine, caller: caller, keep: keep ?? machine.config.retention.keep, dryRun: dryRun)
    return CleanupOutput(result: cleanup, dryRun: dryRun)
  }
}

struct CleanupOutput: CommandOutput {
  let result: ArtifactCleanup.Result
  let dryRun: Bool

  var json: JSONValue {
    [
      "dry_run": .bool(dryRun), "deleted": .array(result.deleted.map(JSONValue.string)),
      "kept": .array(result.kept.map(JSONValue.string)),
    ]
  }

  var text: String {
    let verb = dryRun ? "Would delete" : "Deleted"
    return result.deleted.isEmpty
      ? "Nothing to delete; keeping \(result.kept.joined(separator: ", "))."
      : "\(verb): \(result.deleted.joined(separator: ", ")). Kept: \(result.kept.joined(separator: ", "))."
  }
}
