import A0Core
import A0Lifecycle
import ArgumentParser

struct History: Operation {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "Show the newest journal events.",
    discussion: """
      Read-only; anyone may run it. It reads the journal from its end, so it stays fast on a long journal.

        $ a0 history --limit 5
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "How many events, newest last.")
  var limit: Int = 20

  func validate() throws {
    guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
  }

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    return HistoryOutput(events: try machine.journal.lastEvents(limit: limit))
  }
}

struct HistoryOutput: CommandOutput {
  let events: [AuditEvent]

  var json: JSONValue {
    [
      "events": .array(
        events.map { event in
          [
            "seq": .int(event.seq), "timestamp": .string(event.timestamp.iso8601),
            "event_type": .string(event.eventType), "actor": .string(event.actor),
            "details": .object(event.details),
            "hash": .string(event.hash),
          ]
        })
    ]
  }

  var text: String {
    events.map { event in
      var line = "\(event.seq)\t\(event.timestamp.iso8601)\t\(event.eventType)\t\(event.actor)"
      if let from = event.details["from"]?.stringValue, let to = event.details["to"]?.stringValue {
        line += "\t\(from) → \(to)"
      }
      if let reason = event.details["reason_code"]?.stringValue { line += " (\(reason))" }
      if let notes = event.details["notes"]?.stringValue, !notes.isEmpty { line += "\t\(notes)" }
      return line
    }.joined(separator: "\n")
  }
}
