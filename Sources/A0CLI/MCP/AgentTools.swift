import A0Core

/// One argument of an agent tool, and where it goes on the operation's
/// command line (which the same parser as the CLI's then reads).
struct ToolParameter {
  enum Kind: String {
    case string, integer, boolean
  }
  enum Placement {
    /// After `--`, so no value is ever read as an option.
    case positional
    /// `--name=value`, one argument, so no value is ever read as another option.
    case option(String)
    /// `--name` when true.
    case flag(String)
    /// Read by the MCP server itself, never by the operation.
    case server
  }

  let name: String
  let kind: Kind
  let description: String
  var required = false
  let placement: Placement
  var range: ClosedRange<Int>? = nil
}

/// A command the agent may run, as an MCP tool.
struct AgentTool {
  let name: String
  let operation: any Operation.Type
  let description: String
  var parameters: [ToolParameter] = []
  var readOnly = true
  var destructive = false
  var idempotent = true
  /// Which tool follows a detached operation that is still running.
  var poll = "status"
}

extension AgentTool {
  /// Runs as a detached a0 process the call waits for at most `wait_seconds`.
  var detached: Bool { operation.runsLong }

  /// The lifecycle action the tool starts, if it starts one.
  var action: Action? { Action(rawValue: operation.operationName) }

  /// The tools the agent is offered: every one whose action `ActionRules`
  /// does not reserve for a human. A rule made human-only leaves the list with it.
  static var offered: [AgentTool] {
    all.filter { tool in tool.action.map { ActionRules.rule($0).authority != .human } ?? true }
  }

  static let waitSeconds = ToolParameter(
    name: "wait_seconds", kind: .integer,
    description: "How long to wait for the result (default 20, at most 100). If the operation is still "
      + "running then, the result says so and names the tool to follow it with; it goes on without you.",
    placement: .server, range: 0...100)
  static let reason = ToolParameter(
    name: "reason", kind: .string, description: "Why; shown to the human and journaled.",
    placement: .option("reason"))

  /// Every command the agent may be offered. Human-only commands are absent by design.
  static let all: [AgentTool] = [
    AgentTool(
      name: "status", operation: Status.self,
      description: "The lifecycle state, what production runs, and the agent's authority level. "
        + "Use it first, and to follow an operation that is still running."),
    AgentTool(
      name: "explain_state", operation: ExplainState.self,
      description: "Why a0 is in its current state, which commands are possible now and who may run "
        + "them. Use it when a command was refused and you want to know what would unblock it."),
    AgentTool(
      name: "history", operation: History.self,
      description: "The newest events of the audit journal (requests, approvals, stagings, failures).",
      parameters: [
        ToolParameter(
          name: "limit", kind: .integer, description: "How many events, newest last (default 20).",
          placement: .option("limit"), range: 1...10_000)
      ]),
    AgentTool(
      name: "audit_verify", operation: AuditVerify.self,
      description: "Checks the whole hash chain of the audit journal; an error names the first bad line."),
    AgentTool(
      name: "check_updates", operation: CheckUpdates.self,
      description: "Lists release tags upstream that are newer than production. "
        + "Next: request_upgrade with one of them.",
      parameters: [
        ToolParameter(
          name: "allow_prerelease", kind: .boolean, description: "Include pre-releases.",
          placement: .flag("allow-prerelease"))
      ]),
    AgentTool(
      name: "request_upgrade", operation: RequestUpgrade.self,
      description: "Asks a human to approve an upgrade to a release tag; pins the tag's commit. "
        + "Requesting a version already pending returns that request. Next: wait for a human to approve "
        + "(pending_approvals shows it), then upgrade.",
      parameters: [
        ToolParameter(
          name: "version", kind: .string, description: "The release tag, e.g. v1.7.", required: true,
          placement: .positional),
        reason,
      ], readOnly: false),
    AgentTool(
      name: "pending_approvals", operation: PendingApprovals.self,
      description: "Requests waiting for a human, and approvals not used yet."),
    AgentTool(
      name: "staging_status", operation: StagingStatus.self,
      description: "The steps of the current or last staging, with their times. "
        + "Use it to follow begin_staging or upgrade while they build."),
    AgentTool(
      name: "list_artifacts", operation: ListArtifacts.self,
      description: "The built releases kept on this host, with their roles (production, known-good)."),
    AgentTool(
      name: "verify", operation: Verify.self,
      description: "Checks that production's files still match the manifest of the release it runs."),
    AgentTool(
      name: "begin_staging", operation: BeginStaging.self,
      description: "Builds an approved version into a checked artifact (clone, dependencies, hashes), "
        + "ending in VALIDATING. Takes minutes. Next: validate.",
      parameters: [
        ToolParameter(
          name: "version", kind: .string, description: "The approved release tag.", required: true,
          placement: .positional),
        waitSeconds,
      ], readOnly: false, poll: "staging_status"),
    AgentTool(
      name: "validate", operation: Validate.self,
      description: "Runs every check on the staged artifact (integrity, imports, dependencies, config, "
        + "a health dry run). Next: promote when it passes.",
      parameters: [waitSeconds], readOnly: false),
    AgentTool(
      name: "promote", operation: Promote.self,
      description: "Switches production to the validated artifact, restarts the service and waits for "
        + "it to be healthy; rolls back by itself if it is not. Outside the host's maintenance window "
        + "it is refused and the artifact stays validated: promote again when the window opens. "
        + "Next: a human confirms it.",
      parameters: [waitSeconds], readOnly: false, destructive: true, idempotent: false),
    AgentTool(
      name: "upgrade", operation: Upgrade.self,
      description: "begin_staging, validate and promote in one call, stopping at the first failure, "
        + "for an approved version. Takes minutes; follow it with status. Next: a human confirms it.",
      parameters: [
        ToolParameter(
          name: "version", kind: .string, description: "The approved release tag.", required: true,
          placement: .positional),
        waitSeconds,
      ], readOnly: false, destructive: true, idempotent: false),
    AgentTool(
      name: "rollback", operation: Rollback.self,
      description: "Goes back to the known-good version (no approval needed), or to another version a "
        + "human approved, through the same checks and health gate.",
      parameters: [
        ToolParameter(
          name: "to", kind: .string, description: "The version (default: known-good).",
          placement: .option("to")),
        waitSeconds,
      ], readOnly: false, destructive: true, idempotent: false),
    AgentTool(
      name: "cleanup_artifacts", operation: CleanupArtifacts.self,
      description: "Deletes old artifacts beyond the retention count; never production or known-good.",
      parameters: [
        ToolParameter(
          name: "keep", kind: .integer, description: "How many to keep (default: retention.keep).",
          placement: .option("keep"), range: 1...1000),
        ToolParameter(
          name: "dry_run", kind: .boolean, description: "Only show what would be deleted.",
          placement: .flag("dry-run")),
      ], readOnly: false, destructive: true),
  ]

  /// Commands only a human may run: never listed; a call to one is refused
  /// and journaled as the CLI refuses an agent.
  static let humanOnly = [
    "approve", "deny", "confirm", "clear_failure", "reset", "grant", "revoke",
  ]

  /// The tool as `tools/list` shows it; the annotations are hints for
  /// clients that read them (Agent Zero's does not).
  var listing: JSONValue {
    [
      "name": .string(name), "description": .string(description), "inputSchema": inputSchema,
      "annotations": [
        "readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive),
        "idempotentHint": .bool(idempotent), "openWorldHint": false,
      ],
    ]
  }

  /// The JSON Schema of the tool's arguments.
  var inputSchema: JSONValue {
    var properties: [String: JSONValue] = [:]
    for parameter in parameters {
      var schema: [String: JSONValue] = [
        "type": .string(parameter.kind.rawValue), "description": .string(parameter.description),
      ]
      if let range = parameter.range {
        schema["minimum"] = .int(Int64(range.lowerBound))
        schema["maximum"] = .int(Int64(range.upperBound))
      }
      properties[parameter.name] = .object(schema)
    }
    return [
      "type": "object", "properties": .object(properties),
      "required": .array(parameters.filter(\.required).map { .string($0.name) }),
      "additionalProperties": false,
    ]
  }

  /// The operation's command line for `arguments`, checked against the
  /// schema: unknown names, wrong types and out-of-range numbers are bad input.
  func commandLine(_ arguments: [String: JSONValue]) throws(A0Error) -> [String] {
    for name in arguments.keys.sorted() where !parameters.contains(where: { $0.name == name }) {
      throw A0Error(.badInput, "\(self.name) has no argument \"\(name)\"", next: "See the tool's inputSchema")
    }
    var options: [String] = []
    var positionals: [String] = []
    for parameter in parameters {
      guard let value = arguments[parameter.name], value != .null else {
        if parameter.required {
          throw A0Error(.badInput, "\(name) needs the argument \"\(parameter.name)\"")
        }
        continue
      }
      let text: String
      switch (parameter.kind, value) {
      case (.string, .string(let string)):
        // What is checked here is what the command line carries: no NUL, no terminal controls.
        guard !string.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
          throw A0Error(.badInput, "\(parameter.name) must not contain control characters")
        }
        text = string
      case (.integer, .int(let number)):
        if let range = parameter.range, !range.contains(Int(clamping: number)) {
          throw A0Error(
            .badInput, "\(parameter.name) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        text = String(number)
      case (.boolean, .bool(let flag)): text = flag ? "true" : ""
      default:
        throw A0Error(.badInput, "\(parameter.name) must be a \(parameter.kind.rawValue)")
      }
      switch parameter.placement {
      case .positional: positionals.append(text)
      case .option(let flag): options.append("--\(flag)=\(text)")
      case .flag(let flag): if !text.isEmpty { options.append("--\(flag)") }
      case .server: continue
      }
    }
    return options + (positionals.isEmpty ? [] : ["--"] + positionals)
  }
}
