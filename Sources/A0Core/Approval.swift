/// An upgrade (or downgrade) request and the human decision on it:
/// `.billy/approvals/<request_id>.json`.
public struct ApprovalRecord: Equatable, Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    case upgrade
    case downgrade
  }

  public enum Status: String, Sendable, CaseIterable {
    case pending
    case approved
    case denied
    case consumed
  }

  public struct Decision: Equatable, Sendable {
    public var approved: Bool
    public var by: String
    public var at: Timestamp
    public var reason: String
    /// When an approval stops being usable; nil for a denial.
    public var expiresAt: Timestamp?
    /// `tty` or `ssh-signature`, and for the latter the signer's evidence.
    public var proof: [String: JSONValue]
    /// The journal event that recorded the decision.
    public var auditSeq: Int64
    public var bindingHash: String

    public init(
      approved: Bool, by: String, at: Timestamp, reason: String, expiresAt: Timestamp?,
      proof: [String: JSONValue],
      auditSeq: Int64, bindingHash: String
    ) {
      self.approved = approved
      self.by = by
      self.at = at
      self.reason = reason
      self.expiresAt = expiresAt
      self.proof = proof
      self.auditSeq = auditSeq
      self.bindingHash = bindingHash
    }
  }

  public var requestID: String
  public var version: String
  public var commitSHA: String
  public var kind: Kind
  public var requester: String
  public var requestedAt: Timestamp
  public var reason: String
  public var status: Status
  public var decision: Decision?
  public var consumedAt: Timestamp?
  public var consumedByOperation: String?

  public init(
    requestID: String, version: String, commitSHA: String, kind: Kind, requester: String,
    requestedAt: Timestamp,
    reason: String, status: Status = .pending, decision: Decision? = nil, consumedAt: Timestamp? = nil,
    consumedByOperation: String? = nil
  ) {
    self.requestID = requestID
    self.version = version
    self.commitSHA = commitSHA
    self.kind = kind
    self.requester = requester
    self.requestedAt = requestedAt
    self.reason = reason
    self.status = status
    self.decision = decision
    self.consumedAt = consumedAt
    self.consumedByOperation = consumedByOperation
  }

  /// Request ids a0 makes: `req-` and lowercase hex/time characters only,
  /// so an id can never name a path outside `approvals/`.
  public static func isValidRequestID(_ text: String) -> Bool {
    text.hasPrefix("req-") && text.utf8.count <= 64 && text.utf8.count > 4
      && text.utf8.allSatisfy { (48...57).contains($0) || (97...122).contains($0) || $0 == UInt8(ascii: "-") }
  }

  /// What an approval binds, hashed into the journal: request id, version,
  /// commit SHA, requester, approver, time, expiry and home. Editing any of
  /// them in the file breaks the match with the journal.
  public func binding(approver: String, at time: Timestamp, expiresAt: Timestamp?, home: String) -> JSONValue
  {
    [
      "request_id": .string(requestID), "version": .string(version), "commit_sha": .string(commitSHA),
      "kind": .string(kind.rawValue), "requester": .string(requester), "approver": .string(approver),
      "decided_at": .string(time.iso8601), "expires_at": .optional(expiresAt?.iso8601), "home": .string(home),
    ]
  }

  /// The text a human signs for approve/deny in `ssh-signature` mode.
  public func signingPayload(approve: Bool, home: String) -> String {
    """
    a0-approval v1
    decision: \(approve ? "approve" : "deny")
    request: \(requestID)
    version: \(version)
    commit: \(commitSHA)
    kind: \(kind.rawValue)
    home: \(home)

    """
  }

  /// Whether a pending request has gone stale, or an approval expired.
  public func isExpired(at now: Timestamp, ttlHours: Int) -> Bool {
    switch status {
    case .pending: return now >= requestedAt.adding(seconds: Int64(ttlHours) * 3600)
    case .approved: return decision?.expiresAt.map { now >= $0 } ?? true
    case .denied, .consumed: return false
    }
  }

  public var json: JSONValue {
    [
      "request_id": .string(requestID), "version": .string(version), "commit_sha": .string(commitSHA),
      "kind": .string(kind.rawValue), "requester": .string(requester),
      "requested_at": .string(requestedAt.iso8601),
      "reason": .string(reason), "status": .string(status.rawValue),
      "decision": decision.map { decision in
        [
          "approved": .bool(decision.approved), "by": .string(decision.by),
          "at": .string(decision.at.iso8601),
          "reason": .string(decision.reason), "expires_at": .optional(decision.expiresAt?.iso8601),
          "proof": .object(decision.proof), "audit_seq": .int(decision.auditSeq),
          "binding_hash": .string(decision.bindingHash),
        ]
      } ?? .null,
      "consumed_at": .optional(consumedAt?.iso8601), "consumed_by_operation": .optional(consumedByOperation),
    ]
  }

  public init(json: JSONValue) throws(StateSchemaError) {
    guard let members = json.objectValue else { throw .notAnObject }
    let fields = FieldReader(members: members, prefix: "")
    try fields.rejectUnknown([
      "request_id", "version", "commit_sha", "kind", "requester", "requested_at", "reason", "status",
      "decision",
      "consumed_at", "consumed_by_operation",
    ])
    requestID = try fields.string("request_id")
    version = try fields.string("version")
    commitSHA = try fields.string("commit_sha")
    kind = try fields.enumeration("kind")
    requester = try fields.string("requester")
    requestedAt = try fields.timestamp("requested_at")
    reason = try fields.string("reason")
    status = try fields.enumeration("status")
    consumedByOperation = try fields.optionalString("consumed_by_operation")
    consumedAt = try fields.optionalString("consumed_at").flatMap(Timestamp.init(iso8601:))
    if let decisionFields = try fields.optionalObject("decision") {
      try decisionFields.rejectUnknown([
        "approved", "by", "at", "reason", "expires_at", "proof", "audit_seq", "binding_hash",
      ])
      guard let seq = try decisionFields.value("audit_seq").intValue else {
        throw .wrongType(field: "decision.audit_seq", expected: "an integer")
      }
      guard let proof = try decisionFields.value("proof").objectValue else {
        throw .wrongType(field: "decision.proof", expected: "an object")
      }
      decision = Decision(
        approved: try decisionFields.bool("approved"), by: try decisionFields.string("by"),
        at: try decisionFields.timestamp("at"), reason: try decisionFields.string("reason"),
        expiresAt: try decisionFields.optionalString("expires_at").flatMap(Timestamp.init(iso8601:)),
        proof: proof,
        auditSeq: seq, bindingHash: try decisionFields.string("binding_hash"))
    } else {
      decision = nil
    }
    guard Self.isValidRequestID(requestID) else { throw .unknownValue(field: "request_id", value: requestID) }
    guard Version(tag: version) != nil else { throw .unknownValue(field: "version", value: version) }
  }
}

/// The text a human signs for any command other than approve/deny. It
/// names the journal event that last changed the state (state.json's
/// `audit_hash`): fresh after every change of state, so a signature is
/// spent once its command has acted, while events that change nothing (an
/// agent's requests or refused attempts, which it can add at will) never
/// spoil a signature a human is still making off the host.
public enum CommandPayload {
  public static func text(home: String, command: String, arguments: [String], stateHead: String) -> String {
    """
    a0-command v2
    home: \(home)
    command: \(command)
    arguments: \(JSONValue.array(arguments.map(JSONValue.string)).canonicalString)
    state-head: \(stateHead)

    """
  }
}
