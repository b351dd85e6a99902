import A0Core

/// What `check-updates --notify` journals for a timer, each once: every
/// version `[policy]` offers (`update_available`), and every approval
/// about to expire unused (`approval_expiring`). The journal is the memory
/// of what was announced, so a timer every hour sends one message per release.
public struct Announcements {
  let machine: Machine

  public init(machine: Machine) { self.machine = machine }

  /// An approval is announced once its last quarter of life has begun.
  public func expiringNoticeSeconds() -> Int64 { Int64(machine.config.humans.approvalTTLHours) * 3600 / 4 }

  /// Journals what was not announced before; returns the events written.
  public func announce(offered: [UpstreamRelease], production: String?) throws(A0Error) -> [AuditEvent] {
    let earlier = try machine.journal.events(ofTypes: ["update_available", "approval_expiring"])
    let announcedVersions = Set(
      earlier.filter { $0.eventType == "update_available" }.compactMap { $0.details["version"]?.stringValue })
    let announcedApprovals = Set(
      earlier.filter { $0.eventType == "approval_expiring" }.compactMap {
        $0.details["request_id"]?.stringValue
      })
    var written: [AuditEvent] = []
    // Oldest first, so the journal and the messages read in release order.
    for release in offered.reversed() where !announcedVersions.contains(release.version.tag) {
      written.append(
        try machine.record(
          eventType: "update_available", actor: "system",
          details: [
            "version": .string(release.version.tag), "commit_sha": .string(release.commitSHA),
            "prerelease": .bool(release.version.isPrerelease), "production_version": .optional(production),
            "upstream": .string(machine.config.upstream.url),
          ]))
    }
    for record in try expiring() where !announcedApprovals.contains(record.requestID) {
      written.append(
        try machine.record(
          eventType: "approval_expiring", actor: "system",
          details: [
            "request_id": .string(record.requestID), "version": .string(record.version),
            "expires_at": .optional(record.decision?.expiresAt?.iso8601),
            "approver": .optional(record.decision?.by),
          ]))
    }
    return written
  }

  /// Approvals granted, unused and unexpired, in their last quarter of life.
  func expiring() throws(A0Error) -> [ApprovalRecord] {
    let now = machine.clock.now()
    let horizon = now.adding(seconds: expiringNoticeSeconds())
    return try ApprovalStore(paths: machine.paths).all().records.filter { record in
      guard record.status == .approved, let expiresAt = record.decision?.expiresAt else { return false }
      return now < expiresAt && expiresAt <= horizon
    }
  }
}
