import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct PendingApprovals: Operation {
  static let configuration = CommandConfiguration(
    commandName: "pending-approvals",
    abstract: "List the requests waiting for a human decision.",
    discussion: """
      Read-only; anyone may run it.

        $ a0 pending-approvals
      """)

  @OptionGroup var global: GlobalOptions

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    let (records, unreadable) = try ApprovalStore(paths: machine.paths).all()
    return PendingOutput(
      records: records.filter { $0.status == .pending }, now: machine.clock.now(),
      ttlHours: machine.config.humans.approvalTTLHours, unreadable: unreadable)
  }
}

struct PendingOutput: CommandOutput {
  let records: [ApprovalRecord]
  let now: Timestamp
  let ttlHours: Int
  let unreadable: [String]

  func expiry(_ record: ApprovalRecord) -> Timestamp {
    record.requestedAt.adding(seconds: Int64(ttlHours) * 3600)
  }
  func ageSeconds(_ record: ApprovalRecord) -> Int64 {
    (now.millisecondsSinceEpoch - record.requestedAt.millisecondsSinceEpoch) / 1000
  }

  var json: JSONValue {
    [
      "pending": .array(
        records.map { record in
          [
            "request_id": .string(record.requestID), "version": .string(record.version),
            "commit_sha": .string(record.commitSHA), "kind": .string(record.kind.rawValue),
            "requester": .string(record.requester), "requested_at": .string(record.requestedAt.iso8601),
            "age_seconds": .int(ageSeconds(record)), "expires_at": .string(expiry(record).iso8601),
            "expired": .bool(record.isExpired(at: now, ttlHours: ttlHours)), "reason": .string(record.reason),
          ]
        }),
      "unreadable": .array(unreadable.map(JSONValue.string)),
    ]
  }

  var text: String {
    guard !records.isEmpty else { return "No pending requests." + unreadableNote }
    var lines = ["REQUEST\tVERSION\tKIND\tCOMMIT\tREQUESTER\tAGE\tEXPIRES"]
    for record in records {
      let age = ageSeconds(record)
      let expired = record.isExpired(at: now, ttlHours: ttlHours)
      lines.append(
        "\(record.requestID)\t\(record.version)\t\(record.kind.rawValue)\t\(record.commitSHA.prefix(12))\t"
          + "\(record.requester)\t\(age / 3600)h\(age / 60 % 60)m\t\(expired ? "expired" : expiry(record).iso8601)"
      )
    }
    return lines.joined(separator: "\n") + unreadableNote
  }

  var unreadableNote: String {
    unreadable.isEmpty ? "" : "\nUnreadable approval files: \(unreadable.joined(separator: ", "))"
  }
}
