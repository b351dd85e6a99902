import A0Core
import A0System
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// This build of a0, as `a0 --version` and the MCP server name it.
enum A0Version {
  static let current = "0.9.0"
}

/// The root command: global help and the list of subcommands.
public struct A0Command: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "a0",
    abstract: "Upgrade and roll back a self-hosted Agent Zero through a human-gated, audited lifecycle.",
    discussion: """
      An AI agent on the same host may watch (status, history) and request upgrades; only a human
      approves, confirms, clears failures and resets. Every step is journaled in a hash-chained log.

      Exit codes:
        0 success             1 operation failed      2 not allowed in this state
        3 authority denied    4 busy (lock held)      5 integrity violation
        6 approval missing    7 upstream unreachable  64 usage   65 bad input
      """,
    version: A0Version.current,
    subcommands: [
      Init.self, Status.self, ExplainState.self, History.self, Audit.self, CheckUpdates.self,
      RequestUpgrade.self, PendingApprovals.self, Approve.self, Deny.self, BeginStaging.self,
      StagingStatus.self,
      ListArtifacts.self, CleanupArtifacts.self, Validate.self, Promote.self, Upgrade.self, Rollback.self,
      Verify.self, Confirm.self, ClearFailure.self, Reset.self, Grant.self,
      Revoke.self, DoctorCommand.self, TreeHash.self, MCPServe.self, NotifyDeliver.self,
    ]
  )

  public init() {}
}

/// The process entry point: parses, runs, and maps every outcome to the
/// exit-code table, in JSON too when `--json` was asked for.
public enum A0Main {
  public static func main() {
    var arguments = Array(CommandLine.arguments.dropFirst())
    Interrupts.ignoreJobControl()
    // What a0 writes is a0's own: never the caller's umask (under sudo, the agent's).
    umask(0o022)
    do {
      arguments = try HomePin.apply(arguments)
      if let settings = Status.pollSettings(arguments) {
        try Runner.run("status", settings, Status.report)
        return
      }
      var command = try A0Command.parseAsRoot(arguments)
      try command.run()
    } catch let exit as ExitCode {
      A0Command.exit(withError: exit)
    } catch let error as A0Error {
      Runner.report(error, command: "a0", json: arguments.contains("--json"))
      A0Command.exit(withError: ExitCode(error.kind.exitCode))
    } catch {
      let code = A0Command.exitCode(for: error)
      if code != .success && arguments.contains("--json") {
        let name = arguments.first { !$0.hasPrefix("-") } ?? "a0"
        Runner.report(
          A0Error(.usage, A0Command.message(for: error), next: "Run `a0 help \(name)`"), command: name,
          json: true)
        A0Command.exit(withError: ExitCode(ErrorKind.usage.exitCode))
      }
      A0Command.exit(withError: error)
    }
  }
}
