import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

struct DoctorCommand: Operation {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check the trust boundary: the proof mode, and every a0 path the agent's user could write.",
    discussion: """
      Read-only; anyone may run it. Exit 0 only when the secure deployment is in place: humans prove
      themselves with ssh signatures, and the agent's Unix user can write none of .billy/, its
      config, state, journal, allowed_signers, or the a0 binary (it calls a0 through sudo as a
      dedicated user). Exit 1 otherwise, saying what to fix.

      Without --agent-user, the caller is checked as the agent's user: run it as the user Agent
      Zero runs as.

        $ a0 doctor --agent-user agentzero
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "The Unix user the agent runs as (default: the caller).")
  var agentUser: String?

  @Option(
    help:
      "What `sudo -l -U AGENT` prints, saved to a file (- for stdin); read by doctor itself when it runs as root."
  )
  var sudoRules: String?

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    // Not `openForReading`: doctor reports an untrusted home instead of refusing it, and changes nothing.
    let paths = try HomePaths.locate(
      explicit: context.options.home, environment: context.environment,
      workingDirectory: FileIO.currentDirectory())
    let config = try ConfigLoader.load(path: paths.config)
    let binary = FileIO.readLink("/proc/self/exe") ?? CommandLine.arguments[0]
    let report = try Doctor.examine(
      paths: paths, config: config, agentUser: agentUser, binary: binary,
      sudoRules: try readSudoRules(context.world))
    guard report.isSecure else {
      throw A0Error(
        .operationFailed, "the secure deployment is not in place",
        why: report.problems.joined(separator: "; "),
        next: "Own .billy/ and the binary by a dedicated user, let the agent call a0 through sudo, "
          + "and set humans.proof = \"ssh-signature\" (see the README)")
    }
    return DoctorOutput(report: report)
  }

  /// The agent's sudo rules: from `--sudo-rules`, else from sudo itself
  /// (only root may list another user's rules); nil when unknown.
  func readSudoRules(_ world: World) throws(A0Error) -> String? {
    if let sudoRules {
      let bytes =
        sudoRules == "-"
        ? try FileIO.readAll(descriptor: 0, path: "stdin")
        : try FileIO.readRegularFile(sudoRules, limit: 1 << 20)
      return String(decoding: bytes, as: UTF8.self)
    }
    guard let agentUser, geteuid() == 0 else { return nil }
    let tools = ChildEnvironment()
    guard tools.find("sudo") != nil else { return "" }  // no sudo: no rule can lend the agent a0's user
    let listed = try world.runner(tools: tools).run(Sudo.listRules(for: agentUser))
    return listed.succeeded ? listed.stdoutText : nil
  }
}

struct DoctorOutput: CommandOutput {
  let report: Doctor.Report

  var json: JSONValue {
    [
      "proof_mode": .string(report.proofMode.rawValue), "agent_user": .optional(report.agentUser),
      "agent_user_assumed": .bool(report.agentUserAssumed),
      "secure": .bool(report.isSecure),
      "paths": .array(
        report.findings.map {
          ["path": .string($0.path), "writable_by": .array($0.writers.map(JSONValue.string))]
        }),
    ]
  }

  var text: String {
    ([
      "Proof mode: \(report.proofMode.rawValue)",
      "Agent user: \(report.agentUser ?? "unknown")\(report.agentUserAssumed ? " (the caller; --agent-user names another)" : "")",
    ]
      + report.findings.map {
        "\($0.path): writable by \($0.writers.isEmpty ? "nobody checked" : $0.writers.joined(separator: ", "))"
      }
      + ["Secure deployment in place."]).joined(separator: "\n")
  }
}
