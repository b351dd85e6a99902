import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@testable import A0CLI

/// `[notify]`: a command run once per matching journal event, delivered
/// after the command by a detached a0, at least once.
@Suite("Notifications from the journal", .serialized)
struct NotifyTests {
  /// A sample-app home whose notify command appends each message to `out`,
  /// and fails (exit 1) while `fail` exists.
  func home(_ scratch: ScratchDirectory) throws -> (HomePaths, out: String, fail: String) {
    let (paths, _) = try SampleApp.home(in: scratch.path)
    let out = scratch.path + "/notifications.jsonl"
    let fail = scratch.path + "/notify-fails"
    let script =
      "if [ -e \(A0Binary.shellQuote(fail)) ]; then echo unreachable >&2; exit 1; fi; cat >> \(A0Binary.shellQuote(out))"
    try TestHome.configure(paths, ["notify.command": "[\"/bin/sh\", \"-c\", \(TOMLText.quote(script))]"])
    try TestHome.put(paths, state: .idle, authority: .executor)
    return (paths, out, fail)
  }

  /// The messages delivered so far, once `count` have arrived (or 20 s passed).
  func messages(_ out: String, count: Int) -> [JSONValue] {
    var lines: [JSONValue] = []
    for _ in 0..<200 {
      let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
      lines = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
      if lines.count >= count { break }
      usleep(100_000)
    }
    return lines
  }

  func names(_ messages: [JSONValue]) -> [String] { messages.compactMap { $0["event"]?.stringValue } }

  @Test("a request, a failed staging and a rollback each arrive once, in order, as JSON naming the event")
  func lifecycle() throws {
    let scratch = ScratchDirectory()
    let (paths, out, _) = try home(scratch)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    // A staging that cannot install, then a release this host cannot start.
    let wheelhouse = try ConfigLoader.load(path: paths.config).python.wheelhouse
    try TestHome.configure(paths, ["python.wheelhouse": "\"\(scratch.path)\""])
    try SampleApp.approve(paths, "v1.1.0")
    #expect(try SampleApp.agent(paths, ["begin-staging", "v1.1.0"]).status == 1)
    try TestHome.configure(paths, ["python.wheelhouse": "\"\(wheelhouse)\""])
    let cleared = try A0Binary.runAtTerminal(
      ["clear-failure", "--reason", "wheelhouse restored", "--home", paths.root], typed: "clear-failure\n")
    #expect(cleared.status == 0, "\(cleared.stdout)")
    let service = try ConfigLoader.load(path: paths.config).service.restart.map(A0Binary.shellQuote)
    let restart = "if [ \"$A0_VERSION\" = v1.1.0 ]; then exit 1; fi; exec \(service.joined(separator: " "))"
    try TestHome.configure(paths, ["service.restart": "[\"/bin/sh\", \"-c\", \(TOMLText.quote(restart))]"])
    #expect(try SampleApp.upgrade(paths, to: "v1.1.0").status == 1)

    let expected = [
      "upgrade_requested", "promotion_completed", "upgrade_requested", "staging_failed", "upgrade_requested",
      "rollback_completed",
    ]
    let delivered = messages(out, count: expected.count)
    #expect(names(delivered) == expected, "\(delivered)")
    let requested = delivered.filter { $0["event"] == "upgrade_requested" }.map { $0["version"] }
    #expect(requested == ["v1.0.0", "v1.1.0", "v1.1.0"], "each request names its version")
    let seqs = delivered.compactMap { $0["seq"]?.intValue }
    #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "once each, in journal order: \(seqs)")
    #expect(delivered.allSatisfy { $0["audit"]?["seq"] == $0["seq"] && $0["home"] == .string(paths.root) })
  }

  @Test(
    "a failing notify command leaves the lifecycle alone, is journaled once, and what it missed arrives later"
  )
  func failingCommand() throws {
    let scratch = ScratchDirectory()
    let (paths, out, fail) = try home(scratch)
    FileManager.default.createFile(atPath: fail, contents: nil)
    for version in ["v1.0.0", "v1.1.0"] {
      let requested = try SampleApp.agent(paths, ["request-upgrade", version, "--reason", "test"])
      #expect(requested.status == 0, "the lifecycle does not see the notification fail: \(requested.stdout)")
      usleep(1_500_000)
    }
    let failures = try TestHome.journalEvents(paths).filter { $0.eventType == "notify_failed" }
    #expect(failures.count == 1, "one failure journaled, not one per attempt: \(failures.map(\.details))")
    #expect(messages(out, count: 0).isEmpty)
    // The back-off's hour passes (the cursor says when), and the command works again.
    try FileManager.default.removeItem(atPath: fail)
    var cursor = try JSONValue.parse(TestHome.read(paths.notifyCursor))
    if case .object(var members) = cursor {
      members["next_attempt_at"] = "2000-01-01T00:00:00.000Z"
      cursor = .object(members)
    }
    try TestHome.write(paths.notifyCursor, cursor.prettyString)
    #expect(try A0Binary.run(["status", "--home", paths.root]).status == 0)
    let delivered = messages(out, count: 2)
    #expect(names(delivered) == ["upgrade_requested", "upgrade_requested"], "\(delivered)")
    #expect(delivered.map { $0["version"] } == ["v1.0.0", "v1.1.0"])
  }

  @Test("an a0 killed right after journaling an event loses no notification: the next command delivers it")
  func killedAfterTheJournal() throws {
    let scratch = ScratchDirectory()
    let (paths, out, _) = try home(scratch)
    defer { SampleApp.stopService(paths) }
    try SampleApp.approve(paths, "v1.0.0")
    let killed = try A0Binary.run(
      ["upgrade", "v1.0.0", "--home", paths.root, "--json"],
      environment: ["A0_FAULT": "transition-COMPLETE.after-journal"])
    #expect(killed.status != 0, "\(killed.stdout)")
    #expect(names(messages(out, count: 1)) == ["upgrade_requested"])
    #expect(try A0Binary.run(["status", "--home", paths.root]).status == 0)
    #expect(names(messages(out, count: 2)) == ["upgrade_requested", "promotion_completed"])
  }

  @Test("a notify command that hangs is stopped at timeout_seconds and journaled as timed out, once")
  func hangingCommand() throws {
    let scratch = ScratchDirectory()
    let (paths, out, _) = try home(scratch)
    try TestHome.configure(
      paths, ["notify.command": "[\"/bin/sleep\", \"300\"]", "notify.timeout_seconds": "1"])
    let started = Date()
    #expect(try SampleApp.agent(paths, ["request-upgrade", "v1.0.0", "--reason", "test"]).status == 0)
    #expect(Date().timeIntervalSince(started) < 30, "the command does not wait for its notification")
    var failures: [AuditEvent] = []
    for _ in 0..<200 where failures.isEmpty {
      usleep(100_000)
      failures = try TestHome.journalEvents(paths).filter { $0.eventType == "notify_failed" }
    }
    #expect(failures.count == 1, "\(failures.map(\.details))")
    #expect(failures.first?.details["error"]?.stringValue?.contains("timed out after 1 s") == true)
    #expect(Date().timeIntervalSince(started) < 60, "stopped at its timeout, not after sleep's 300 s")
    #expect(messages(out, count: 0).isEmpty)
  }

  @Test("check-updates --notify announces each version once and an approval in its last quarter once")
  func announcements() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0.0"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    let out = scratch.path + "/notifications.jsonl"
    try TestHome.configure(
      paths,
      [
        "upstream.github_api": "\"\"",
        "notify.command": "[\"/bin/sh\", \"-c\", \(TOMLText.quote("cat >> \(A0Binary.shellQuote(out))"))]",
      ])
    func check() throws -> [String] {
      let result = try A0Binary.run(["check-updates", "--notify", "--home", paths.root, "--json"])
      #expect(result.status == 0, "\(result.stdout)")
      return result.json?["data"]?["announced"]?.arrayValue?.compactMap { $0["version"]?.stringValue } ?? []
    }
    #expect(try check() == ["v1.0.0"])
    #expect(try check() == [], "a timer's second run announces nothing")
    try upstream.commit(tag: "v1.1.0")
    try upstream.commit(tag: "v1.2.0")
    #expect(try check() == ["v1.1.0", "v1.2.0"], "oldest first")
    #expect(try check() == [])
    let delivered = messages(out, count: 3)
    #expect(names(delivered) == Array(repeating: "update_available", count: 3), "\(delivered)")
    #expect(delivered.map { $0["version"] } == ["v1.0.0", "v1.1.0", "v1.2.0"])

    // An approval of 24 h is announced once its last 6 h have begun, and only once.
    #expect(try A0Binary.run(["request-upgrade", "v1.2.0", "--home", paths.root]).status == 0)
    let approved = try A0Binary.runAtTerminal(["approve", "v1.2.0", "--home", paths.root], typed: "v1.2.0\n")
    #expect(approved.status == 0, "\(approved.stdout)")
    let clock = ManualClock(SystemClock().now())
    let context = {
      try CommandContext(
        options: GlobalSettings(home: paths.root, json: true), world: World(clock: clock),
        terminal: NoTerminal())
    }
    func expiring() throws -> [AuditEvent] {
      _ = try CheckUpdates.parse(["--notify"]).perform(try context())
      return try TestHome.journalEvents(paths).filter { $0.eventType == "approval_expiring" }
    }
    clock.advance(seconds: 17 * 3600)
    #expect(try expiring().isEmpty, "7 h left")
    clock.advance(seconds: 2 * 3600)
    let announced = try expiring()
    #expect(announced.count == 1 && announced.first?.details["version"] == "v1.2.0", "\(announced)")
    #expect(try expiring().count == 1, "once")
  }
}
