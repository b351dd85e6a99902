import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct RequestUpgrade: Operation {
  static let configuration = CommandConfiguration(
    commandName: "request-upgrade",
    abstract: "Ask for an upgrade to VERSION; a human must approve it.",
    discussion: """
      Anyone may run it, the agent at observer included. It checks the version is valid (before any
      process starts), exists upstream, and is newer than production; pins the tag's commit SHA
      (confirmed through the GitHub API when upstream.github_api is set); and writes a pending request.
      A pending request for the same version is returned as it is. A version older than production is
      recorded as a downgrade, which a human must approve deliberately.

        $ a0 request-upgrade v1.1.0 --reason "security fix" --json
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(parsing: .allUnrecognized, help: "The version (release tag), e.g. v1.1.0.")
  var version: [String] = []

  @Option(help: "Why the upgrade is wanted; shown to the approver and journaled.")
  var reason: String = ""

  @Flag(help: "Allow a pre-release version.")
  var allowPrerelease = false

  @Flag(help: "Re-resolve the tag upstream even when a pending request exists.")
  var forceCheck = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let target = try parseVersion(try singleValue(version, name: "version"))
    let machine = try context.openForMutation(Self.operationName)
    let caller = try AuthorityGate.require(
      .requestUpgrade, machine, context, arguments: [target.tag, "--reason", reason],
      action: "Request \(target)", word: target.tag
    ) {}
    let outcome = try UpgradeRequests.request(
      machine, upstream: machine.upstream(), version: target,
      reason: reason,
      allowPrerelease: allowPrerelease, forceCheck: forceCheck, caller: caller)
    return RequestOutput(outcome: outcome)
  }
}

struct RequestOutput: CommandOutput {
  let outcome: UpgradeRequests.RequestOutcome

  var json: JSONValue {
    guard case .object(var members) = outcome.record.json else { return outcome.record.json }
    members["existing"] = .bool(outcome.isExisting)
    members["production"] = .optional(outcome.production)
    members["second_channel_checked"] = .bool(outcome.secondChannelChecked)
    members["authority_required"] = "human"
    return .object(members)
  }

  var text: String {
    let record = outcome.record
    let next =
      record.status == .approved
      ? "It is approved already: `a0 begin-staging \(record.version)` uses it."
      : "A human approves it with `a0 approve \(record.requestID)`\(record.kind == .downgrade ? " --downgrade" : "")."
    return """
      \(outcome.isExisting ? "A request already exists" : "Requested") \(record.kind == .downgrade ? "downgrade" : "upgrade") to \(record.version) at commit \(record.commitSHA)
        request:    \(record.requestID)
        requester:  \(record.requester)
        production: \(outcome.production ?? "none")
      \(next)
      """
  }
}
