import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Approve: Operation {
  static let configuration = CommandConfiguration(
    commandName: "approve",
    abstract: "Approve a pending request (human only).",
    discussion: """
      The approval binds request id, version, commit SHA, requester and approver; it can be used for
      one staging, until humans.approval_ttl_hours after now. With humans.four_eyes = true nobody
      approves their own request. In ssh-signature mode, sign with --key, or print the payload with
      --print-payload, sign it elsewhere (`ssh-keygen -Y sign -n a0`) and pass --signature.

        $ a0 approve v1.1.0
        $ a0 approve req-20261125t090000000z-1a2b3c4d --key ~/.ssh/id_ed25519
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(parsing: .allUnrecognized, help: "A request id, or a version with a single pending request.")
  var request: [String] = []

  @Option(help: "A note for the journal.")
  var reason: String = ""

  @Flag(help: "Approve a request that is a downgrade, deliberately.")
  var downgrade = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    try Decide.run(
      context, reference: try singleValue(request, name: "request"), approve: true, reason: reason,
      downgrade: downgrade)
  }
}

struct Deny: Operation {
  static let configuration = CommandConfiguration(
    commandName: "deny",
    abstract: "Deny a pending request (human only).",
    discussion: """
        $ a0 deny v1.2.0 --reason "breaks our plugins"
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(parsing: .allUnrecognized, help: "A request id, or a version with a single pending request.")
  var request: [String] = []

  @Option(help: "Why; journaled. Required.")
  var reason: String

  func validate() throws {
    try requireReason(reason, saying: "the request is denied")
  }

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    try Decide.run(
      context, reference: try singleValue(request, name: "request"), approve: false, reason: reason,
      downgrade: false)
  }
}

enum Decide {
  static func run(
    _ context: CommandContext, reference: String, approve: Bool, reason: String, downgrade: Bool
  )
    throws -> any CommandOutput
  {
    let rule: Action = approve ? .approve : .deny
    if !ApprovalRecord.isValidRequestID(reference) { _ = try parseVersion(reference) }
    let machine = try context.openForMutation(rule.rawValue)
    let record = try UpgradeRequests.find(machine, reference: reference)
    let caller = try AuthorityGate.require(
      rule, machine, context, arguments: [reference, "--reason", reason],
      action: record.map {
        "\(approve ? "Approve" : "Deny") \($0.kind.rawValue) to \($0.version) at \($0.commitSHA) (requested by \($0.requester))."
      } ?? "\(approve ? "Approve" : "Deny") \(reference).",
      word: record?.version ?? reference,
      payload: record?.signingPayload(approve: approve, home: machine.paths.root)
    ) {}
    let decided = try UpgradeRequests.decide(
      machine, record: record, reference: reference, approve: approve, caller: caller, reason: reason,
      allowDowngrade: downgrade, evidence: machine.proofEvidence ?? ["mode": "none"])
    return DecisionOutput(record: decided)
  }
}

struct DecisionOutput: CommandOutput {
  let record: ApprovalRecord

  var json: JSONValue { record.json }

  var text: String {
    guard let decision = record.decision else { return "" }
    return decision.approved
      ? "Approved \(record.version) at \(record.commitSHA) (\(record.requestID)) by \(decision.by), "
        + "usable once until \(decision.expiresAt?.iso8601 ?? "?").\nNext: `a0 begin-staging \(record.version)`.\n"
      : "Denied \(record.version) (\(record.requestID)) by \(decision.by).\n"
  }
}
