import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Audit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Check the audit journal.",
    subcommands: [AuditVerify.self])
}

struct AuditVerify: Operation {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Walk the whole hash chain of the journal and name the first bad line.",
    discussion: """
      Read-only; anyone may run it. Exit 0 when every line is canonical, carries the hash of its own
      content, follows the previous line's hash and the file ends in a newline; exit 5 otherwise.

        $ a0 audit verify
      """)

  static let operationName = "audit verify"

  @OptionGroup var global: GlobalOptions

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let paths = try context.paths()
    let verification = try Journal(path: paths.journal).verify()
    if let (line, error) = verification.firstError {
      throw A0Error(
        .integrityViolation, "the journal is broken at line \(line)", why: error.description,
        next: "Lines 1–\(line - 1) verify; compare the journal with a backup. a0 never rewrites history")
    }
    return AuditOutput(verification: verification, path: paths.journal)
  }
}

struct AuditOutput: CommandOutput {
  let verification: JournalVerification
  let path: String

  var json: JSONValue {
    ["intact": true, "events": .int(verification.eventCount), "head_hash": .string(verification.headHash)]
  }

  var text: String {
    "Journal intact: \(verification.eventCount) events, head \(verification.headHash)\n  \(path)\n"
  }
}
