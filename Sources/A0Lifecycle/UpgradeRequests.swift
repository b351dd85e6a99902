import A0Core
import A0System

/// Requests, approvals and denials: the human gate of the lifecycle
/// (DESIGN.md §5). A yes covers one version at one commit, once, for a
/// limited time.
public enum UpgradeRequests {
  public struct RequestOutcome: Sendable {
    public var record: ApprovalRecord
    public var isExisting: Bool
    public var production: String?
    public var secondChannelChecked: Bool
  }

  /// Records an upgrade request after checking the version exists
  /// upstream, pinning its commit, and — when configured — confirming the
  /// commit through the GitHub API.
  public static func request(
    _ machine: Machine, upstream: Upstream, version: Version, reason: String, allowPrerelease: Bool,
    forceCheck: Bool, caller: Caller
  ) throws(A0Error) -> RequestOutcome {
    try machine.requireUnlocked(for: .requestUpgrade)
    let policy = machine.config.policy
    if version.isPrerelease && !policy.takesPrereleases(asked: allowPrerelease) {
      throw A0Error(
        .badInput, "\(version) is a pre-release",
        why: policy.allowPrerelease == false ? "[policy] allow_prerelease = false" : nil,
        next: policy.allowPrerelease == false
          ? "Pre-releases stay out while the policy says so" : "Pass --allow-prerelease to request it anyway")
    }
    let production = ProductionInfo.read(machine.paths)
    let store = ApprovalStore(paths: machine.paths)
    let now = machine.clock.now()
    // A request still pending, or approved and not yet used, is the one
    // asked for: a repeated request (a timer's, a rerun playbook's) adds none.
    let existing = try store.all().records.last {
      $0.version == version.tag && ($0.status == .pending || $0.status == .approved)
        && !$0.isExpired(at: now, ttlHours: machine.config.humans.approvalTTLHours)
    }
    if let existing, !forceCheck {
      return RequestOutcome(
        record: existing, isExisting: true, production: production?.version, secondChannelChecked: false)
    }

    let releases = try upstream.releases().releases
    guard let release = releases.first(where: { $0.version.tag == version.tag }) else {
      throw A0Error(
        .badInput, "\(version) is not a tag of the upstream", why: machine.config.upstream.url,
        next: "Run `a0 check-updates` to see the versions upstream offers")
    }
    if existing == nil,
      let hold = try ReleasePolicy(machine: machine, upstream: upstream).hold(
        release, production: production.flatMap { Version(tag: $0.version) }, askedPrerelease: true)
    {
      var next = "Choose a version the policy takes (`a0 check-updates`), or change [policy] in config.toml"
      if case .tooYoung(let eligible, _) = hold { next = "Request it again after \(eligible.iso8601)" }
      throw A0Error(.badInput, "\(version) is held back by the update policy", why: hold.reason, next: next)
    }
    let apiCommit = try upstream.apiCommit(for: version.tag)
    if let apiCommit, apiCommit != release.commitSHA {
      try recordIntegrityViolation(
        machine, caller: caller,
        message: "tag \(version) is \(release.commitSHA) by git but \(apiCommit) by the GitHub API")
    }
    if let existing {
      guard existing.commitSHA == release.commitSHA else {
        try recordIntegrityViolation(
          machine, caller: caller,
          message:
            "tag \(version) moved from \(existing.commitSHA) to \(release.commitSHA) since request \(existing.requestID)"
        )
      }
      return RequestOutcome(
        record: existing, isExisting: true, production: production?.version,
        secondChannelChecked: apiCommit != nil)
    }
    return try recordNew(
      machine, version: version, commit: release.commitSHA, production: production, reason: reason,
      secondChannel: apiCommit != nil, caller: caller)
  }

  /// A new request, pending a human: an upgrade, or a downgrade when the
  /// version is older than production's.
  static func recordNew(
    _ machine: Machine, version: Version, commit: String, production: ProductionInfo?, reason: String,
    secondChannel: Bool, caller: Caller
  ) throws(A0Error) -> RequestOutcome {
    var kind = ApprovalRecord.Kind.upgrade
    if let current = production.flatMap({ Version(tag: $0.version) }) {
      if version.isSamePosition(as: current) {
        throw A0Error(.badInput, "\(version) is already in production", next: "Nothing to do")
      }
      if !version.isNewer(than: current) { kind = .downgrade }
    }
    let now = machine.clock.now()
    let record = ApprovalRecord(
      requestID: newRequestID(at: now), version: version.tag, commitSHA: commit, kind: kind,
      requester: caller.actor, requestedAt: now, reason: reason)
    try machine.record(
      eventType: "upgrade_requested", actor: caller.actor,
      details: [
        "request_id": .string(record.requestID), "version": .string(record.version),
        "commit_sha": .string(record.commitSHA), "kind": .string(kind.rawValue), "reason": .string(reason),
        "production": .optional(production?.version), "second_channel": .bool(secondChannel),
      ])
    try ApprovalStore(paths: machine.paths).save(record)
    return RequestOutcome(
      record: record, isExisting: false, production: production?.version,
      secondChannelChecked: secondChannel)
  }

  /// An integrity violation outside an operation: journaled, executor
  /// authority revoked, exit 5.
  static func recordIntegrityViolation(_ machine: Machine, caller: Caller, message: String) throws(A0Error)
    -> Never
  {
    let details: [String: JSONValue] = [
      "reason_code": .string(ReasonCode.integrityViolation.rawValue), "notes": .string(message),
      "authority_revoked": .bool(machine.state.authorityLevel == .executor),
    ]
    if machine.state.authorityLevel == .executor {
      try machine.updateState(eventType: "integrity_violation", actor: caller.actor, details: details) {
        $0.authorityLevel = .observer
      }
    } else {
      try machine.record(eventType: "integrity_violation", actor: caller.actor, details: details)
    }
    throw A0Error(
      .integrityViolation, message, next: "Do not approve this version; find out why upstream changed")
  }

  static func newRequestID(at time: Timestamp) -> String {
    var generator = SystemRandomNumberGenerator()
    let random = String(generator.next() as UInt32, radix: 16)
    let stamp = time.compact.lowercased().filter { $0 != "." }
    return "req-\(stamp)-\(String(repeating: "0", count: 8 - random.count))\(random)"
  }

  /// Finds the request a human means: a request id, or a version with a
  /// single pending request. Bad syntax is bad input (65); no match is nil.
  public static func find(_ machine: Machine, reference: String) throws(A0Error) -> ApprovalRecord? {
    let store = ApprovalStore(paths: machine.paths)
    if ApprovalRecord.isValidRequestID(reference) { return try store.load(reference) }
    guard let version = Version(tag: reference) else {
      throw A0Error(
        .badInput, "\"\(reference.prefix(80))\" is neither a request id nor a version",
        next: "Run `a0 pending-approvals` to see the ids")
    }
    return try store.all().records.last { $0.version == version.tag && $0.status == .pending }
  }

  /// Records a human's decision on a pending request.
  public static func decide(
    _ machine: Machine, record found: ApprovalRecord?, reference: String, approve: Bool, caller: Caller,
    reason: String, allowDowngrade: Bool, evidence: [String: JSONValue]
  ) throws(A0Error) -> ApprovalRecord {
    try machine.requireUnlocked(for: approve ? .approve : .deny)
    guard var record = found else {
      throw A0Error(
        .approvalRequired, "no pending request matches \(reference)",
        next: "Run `a0 pending-approvals`; the agent or you can request one with `a0 request-upgrade VERSION`"
      )
    }
    let now = machine.clock.now()
    guard record.status == .pending else {
      throw A0Error(
        .approvalRequired, "request \(record.requestID) is already \(record.status.rawValue)",
        next: "A decision is final; request the version again if needed")
    }
    if record.isExpired(at: now, ttlHours: machine.config.humans.approvalTTLHours) {
      throw A0Error(
        .approvalRequired, "request \(record.requestID) has expired",
        why: "requests and approvals live \(machine.config.humans.approvalTTLHours) h",
        next: "Request \(record.version) again")
    }
    if approve && machine.config.humans.fourEyes && record.requester == caller.actor {
      throw A0Error(
        .authorityDenied, "\(caller.actor) requested \(record.version) and may not approve it too",
        why: "humans.four_eyes = true", next: "Another human must approve it", authorityRequired: .human)
    }
    if approve && record.kind == .downgrade && !allowDowngrade {
      throw A0Error(
        .approvalRequired, "request \(record.requestID) is a downgrade to \(record.version)",
        why: "a downgrade is not approved as an ordinary upgrade",
        next: "Prefer `a0 rollback`; or approve it deliberately with --downgrade")
    }
    let expiresAt = approve ? now.adding(seconds: Int64(machine.config.humans.approvalTTLHours) * 3600) : nil
    let binding = record.binding(
      approver: caller.actor, at: now, expiresAt: expiresAt, home: machine.paths.root)
    let bindingHash = Digest.sha256Hex(binding.canonicalBytes)
    let event = try machine.record(
      eventType: approve ? "approval_granted" : "approval_denied", actor: caller.actor,
      details: [
        "reason_code": .string(
          approve ? ReasonCode.approvalGranted.rawValue : ReasonCode.approvalDenied.rawValue),
        "request_id": .string(record.requestID), "version": .string(record.version),
        "commit_sha": .string(record.commitSHA), "requester": .string(record.requester),
        "approver": .string(caller.actor), "expires_at": .optional(expiresAt?.iso8601),
        "notes": .string(reason),
        "binding": binding, "binding_hash": .string(bindingHash),
      ])
    record.status = approve ? .approved : .denied
    record.decision = ApprovalRecord.Decision(
      approved: approve, by: caller.actor, at: now, reason: reason, expiresAt: expiresAt, proof: evidence,
      auditSeq: event.seq, bindingHash: bindingHash)
    try ApprovalStore(paths: machine.paths).save(record)
    return record
  }

  /// The approval staging may use for `version`: approved, unexpired, not
  /// consumed, matching the journal's binding (so a hand-edited or
  /// hand-written file is refused), and in ssh-signature mode still
  /// carrying a signature that verifies.
  public static func usableApproval(
    _ machine: Machine, version: String, signatures: SSHSignatures? = nil, allowedSigners: String? = nil
  ) throws(A0Error) -> ApprovalRecord {
    let signatures = signatures ?? SSHSignatures(runner: machine.runner())
    let now = machine.clock.now()
    let candidates = try ApprovalStore(paths: machine.paths).all().records.filter {
      $0.version == version && $0.status == .approved
    }
    guard let record = candidates.last, let decision = record.decision else {
      throw A0Error(
        .approvalRequired, "no approval for \(version)",
        next:
          "Request it (`a0 request-upgrade \(version)`) and have a human approve it (`a0 approve \(version)`)"
      )
    }
    if record.isExpired(at: now, ttlHours: machine.config.humans.approvalTTLHours) {
      throw A0Error(
        .approvalRequired, "the approval of \(version) (\(record.requestID)) has expired",
        next: "Request it again and have a human approve it")
    }
    let binding = record.binding(
      approver: decision.by, at: decision.at, expiresAt: decision.expiresAt, home: machine.paths.root)
    let bindingHash = Digest.sha256Hex(binding.canonicalBytes)
    let events = try machine.journal.events(from: decision.auditSeq)
    guard let granted = events.first, granted.seq == decision.auditSeq,
      granted.eventType == "approval_granted",
      granted.details["request_id"]?.stringValue == record.requestID,
      granted.details["binding_hash"]?.stringValue == bindingHash, bindingHash == decision.bindingHash
    else {
      throw A0Error(
        .integrityViolation, "approval file \(record.requestID).json does not match the journal",
        why: "its binding (version, commit, requester, approver, times, home) differs from what was approved",
        next: "Treat the home as tampered with; deny the request and request the version again")
    }
    if events.contains(where: {
      $0.eventType == "approval_consumed" && $0.details["request_id"]?.stringValue == record.requestID
    }) {
      throw A0Error(
        .approvalRequired, "the approval of \(version) (\(record.requestID)) was already used",
        why: "an approval covers one staging", next: "Request it again and have a human approve it")
    }
    if machine.config.humans.proof == .sshSignature {
      guard let signature = decision.proof["signature"]?.stringValue else {
        throw A0Error(
          .integrityViolation, "approval \(record.requestID) carries no signature",
          next: "Approve it again with --key or --signature")
      }
      let signers = allowedSigners ?? machine.paths.allowedSigners(machine.config)
      let payload = record.signingPayload(approve: true, home: machine.paths.root)
      if case .failure(let failure) = try signatures.verify(
        payload, signature: signature, allowedSigners: signers)
      {
        throw A0Error(
          .integrityViolation, "the signature on approval \(record.requestID) no longer verifies",
          why: failure.reason, next: "Approve it again with a key listed in humans.allowed_signers")
      }
    }
    return record
  }
}
