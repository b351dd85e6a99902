import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct DoctorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check the trust boundary: the proof mode, and every a0 path the agent's user could write.",
    discussion: """
      Read-only; anyone may run it. Exit 0 only when the secure deployment is in place: humans prove
      themselves with ssh signatures, and the agent's Unix user can write none of .billy/, its
      config, state, journal, allowed_signers, or the a0 binary (it calls a0 through sudo as a
      dedicated user). Exit 1 otherwise, saying what to fix.

        $ a0 doctor --agent-user agentzero
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "The Unix user the agent runs as.")
  var agentUser: String?

  func run() throws {
    try Runner.run("doctor", global) { context in
      let machine = try context.openForReading("doctor")
      let binary = FileIO.readLink("/proc/self/exe") ?? CommandLine.arguments[0]
      let report = try Doctor.examine(
        paths: machine.paths, config: machine.config, agentUser: agentUser, binary: binary)
      guard report.isSecure else {
        throw A0Error(
          .operationFailed, "the secure deployment is not in place",
          why: report.problems.joined(separator: "; "),
          next: "Own .billy/ and the binary by a dedicated user, let the agent call a0 through sudo, "
            + "and set humans.proof = \"ssh-signature\" (see the README)")
      }
      return DoctorOutput(report: report)
    }
  }
}

struct DoctorOutput: CommandOutput {
  let report: Doctor.Report

  var json: JSONValue {
    [
      "proof_mode": .string(report.proofMode.rawValue), "agent_user": .optional(report.agentUser),
      "secure": .bool(report.isSecure),
      "paths": .array(
        report.findings.map {
          ["path": .string($0.path), "writable_by": .array($0.writers.map(JSONValue.string))]
        }),
    ]
  }

  var text: String {
    (["Proof mode: \(report.proofMode.rawValue)", "Agent user: \(report.agentUser ?? "unknown")"]
      + report.findings.map {
        "\($0.path): writable by \($0.writers.isEmpty ? "nobody checked" : $0.writers.joined(separator: ", "))"
      }
      + ["Secure deployment in place."]).joined(separator: "\n")
  }
}
