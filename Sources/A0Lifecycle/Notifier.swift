import A0Core
import A0System

/// Notifications as a reader of the journal (`[notify]`): once per matching
/// event, after it is durable, in journal order, outside the lifecycle's
/// lock. A cursor in `.billy/notify.json` holds the last event handled, so
/// what a crash or a failing command missed is delivered by the next a0
/// (at least once), with back-off; each run of failures is journaled once.
public struct Notifier {
  struct Cursor: Equatable {
    var seq: Int64
    var failures = 0
    var nextAttemptAt: Timestamp?
    var failureJournaled = false

    var json: JSONValue {
      [
        "seq": .int(seq), "failures": .int(Int64(failures)),
        "next_attempt_at": .optional(nextAttemptAt?.iso8601), "failure_journaled": .bool(failureJournaled),
      ]
    }

    init(seq: Int64) { self.seq = seq }

    init?(_ json: JSONValue) {
      guard let seq = json["seq"]?.intValue else { return nil }
      self.seq = seq
      failures = Int(json["failures"]?.intValue ?? 0)
      nextAttemptAt = json["next_attempt_at"]?.stringValue.flatMap(Timestamp.init(iso8601:))
      failureJournaled = json["failure_journaled"]?.boolValue ?? false
    }
  }

  let paths: HomePaths
  let config: Config
  let world: World
  let children: ChildEnvironment

  public init(paths: HomePaths, config: Config, world: World, children: ChildEnvironment) {
    self.paths = paths
    self.config = config
    self.world = world
    self.children = children
  }

  public var isOn: Bool { !config.notify.command.isEmpty }

  static func read(_ path: String) -> Cursor? {
    (try? FileIO.read(path)).flatMap { $0 }.flatMap { try? JSONValue.parse($0) }.flatMap(Cursor.init)
  }

  func save(_ cursor: Cursor) throws(A0Error) {
    try FileIO.writeAtomically(paths.notifyCursor, Array(cursor.json.prettyString.utf8))
  }

  /// Starts the cursor at `seq` when notifications are on and it has none:
  /// what happened before they were configured is not news.
  public func baseline(at seq: () -> Int64) {
    guard isOn, !FileIO.exists(paths.notifyCursor) else { return }
    try? save(Cursor(seq: seq()))
  }

  /// Whether events after the cursor wait, and no back-off holds them.
  public func hasPending(journalSeq: Int64) -> Bool {
    guard isOn, let cursor = Self.read(paths.notifyCursor), cursor.seq < journalSeq else { return false }
    return cursor.nextAttemptAt.map { world.clock.now() >= $0 } ?? true
  }

  /// What one delivery run did.
  public struct Delivery: Equatable, Sendable {
    public var delivered: [Int64] = []
    /// The command's failure, when it failed (the cursor then holds back-off).
    public var failure: String?
  }

  /// Delivers every matching event after the cursor, in order, stopping at
  /// the first failure. `journalFailure` journals a failed run once; it
  /// may not be able to (another a0 holds the lock) and is asked again next time.
  public func deliver(journal: Journal, journalFailure: (String) -> Bool) throws(A0Error) -> Delivery {
    guard isOn, var cursor = Self.read(paths.notifyCursor) else { return Delivery() }
    if let next = cursor.nextAttemptAt, world.clock.now() < next { return Delivery() }
    var delivery = Delivery()
    let runner = world.runner(tools: children)
    for event in try journal.events(from: cursor.seq + 1) {
      if let name = NotificationName.of(event), config.notify.events.contains(name) {
        let result = try runner.run(spec(for: event, named: name))
        guard result.succeeded else {
          let why =
            result.timedOut ? "timed out after \(config.notify.timeoutSeconds) s" : result.tail(lines: 3)
          cursor.failures += 1
          cursor.nextAttemptAt = world.clock.now().adding(
            seconds: Self.backOffSeconds(failures: cursor.failures))
          if !cursor.failureJournaled {
            cursor.failureJournaled = journalFailure("\(name) (seq \(event.seq)): \(why)")
          }
          try save(cursor)
          delivery.failure = why
          return delivery
        }
        delivery.delivered.append(event.seq)
      }
      cursor = Cursor(seq: event.seq)
      try save(cursor)
    }
    return delivery
  }

  /// 1, 2, 4 … minutes, at most an hour.
  static func backOffSeconds(failures: Int) -> Int64 { min(3600, 60 << Int64(min(failures - 1, 6))) }

  func spec(for event: AuditEvent, named name: String) -> CommandLineSpec {
    let version = event.details["version"]?.stringValue ?? event.details["target_version"]?.stringValue
    var variables = ["A0_EVENT": name, "A0_HOME": paths.root, "A0_SEQ": String(event.seq)]
    variables["A0_VERSION"] = version
    let message: JSONValue = [
      "event": .string(name), "home": .string(paths.root), "version": .optional(version),
      "seq": .int(event.seq),
      "at": .string(event.timestamp.iso8601), "audit": (try? JSONValue.parse(event.line)) ?? .null,
    ]
    return CommandLineSpec(
      config.notify.command, environment: variables, workingDirectory: paths.root,
      timeoutSeconds: Double(config.notify.timeoutSeconds),
      standardInput: Array((message.canonicalString + "\n").utf8))
  }
}
