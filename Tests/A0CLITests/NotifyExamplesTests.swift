import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// Examples/notify/, run by a0 as an operator would configure them, each
/// delivering to a real receiver on loopback.
@Suite("Notification examples", .serialized)
struct NotifyExamplesTests {
  static let examples = FileIO.parent(of: SampleApp.examples) + "/notify"

  /// A home whose notify command is `command`; an update is announced and
  /// then requested, so two events are delivered, in this order.
  func deliverTwo(_ scratch: ScratchDirectory, command: [String]) throws -> HomePaths {
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0.0"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    let array = "[" + command.map(TOMLText.quote).joined(separator: ", ") + "]"
    try TestHome.configure(paths, ["upstream.github_api": "\"\"", "notify.command": array])
    let checked = try A0Binary.run(["check-updates", "--notify", "--home", paths.root, "--json"])
    #expect(checked.status == 0, "\(checked.stdout)")
    let requested = try A0Binary.run(["request-upgrade", "v1.0.0", "--home", paths.root, "--json"])
    #expect(requested.status == 0, "\(requested.stdout)")
    return paths
  }

  /// What a0 journaled when the command failed, for a failing test's message.
  func failures(_ paths: HomePaths) -> [String] {
    ((try? TestHome.journalEvents(paths)) ?? []).filter { $0.eventType == "notify_failed" }.map {
      "\($0.details)"
    }
  }

  @Test("ntfy.sh: a titled, prioritised push per event, with the access token from its file")
  func ntfy() throws {
    let scratch = ScratchDirectory()
    let server = try RecordingHTTPServer(in: scratch.path)
    let token = scratch.path + "/ntfy-token"
    try "tk_s3cret\n".write(toFile: token, atomically: true, encoding: .utf8)
    let paths = try deliverTwo(
      scratch, command: [Self.examples + "/ntfy.sh", server.baseURL + "/a0-topic", token])
    let requests = server.requests(count: 2)
    try #require(requests.count == 2, "\(requests) \(failures(paths))")
    #expect(requests.map { $0["path"] } == ["/a0-topic", "/a0-topic"])
    let headers = requests.map { $0["headers"] }
    #expect(headers.map { $0?["title"] } == ["a0: v1.0.0 is available", "a0: Upgrade to v1.0.0 requested"])
    #expect(headers.map { $0?["priority"] } == ["2", "3"])
    #expect(headers.map { $0?["tags"] } == ["a0,update_available", "a0,upgrade_requested"])
    #expect(headers.allSatisfy { $0?["authorization"] == "Bearer tk_s3cret" })
    #expect(
      requests[0]["body"]?.stringValue?.contains("Request it: a0 --home \(paths.root) request-upgrade v1.0.0")
        == true, "\(requests[0])")
    #expect(requests[1]["body"]?.stringValue?.contains("approve v1.0.0") == true, "\(requests[1])")
  }

  @Test("webhook.sh: the event's JSON as a0 wrote it, signed with the shared secret")
  func webhook() throws {
    let scratch = ScratchDirectory()
    let server = try RecordingHTTPServer(in: scratch.path)
    let secret = scratch.path + "/webhook-secret"
    try "whsec-0123456789\n".write(toFile: secret, atomically: true, encoding: .utf8)
    let paths = try deliverTwo(
      scratch, command: [Self.examples + "/webhook.sh", server.baseURL + "/hook", secret])
    let requests = server.requests(count: 2)
    try #require(requests.count == 2, "\(requests) \(failures(paths))")
    let bodies = requests.compactMap { $0["body"]?.stringValue }
    let events = bodies.compactMap { try? JSONValue.parse($0) }
    #expect(events.map { $0["event"] } == ["update_available", "upgrade_requested"])
    let journal = try TestHome.journalEvents(paths)
    for event in events {
      let seq = try #require(event["seq"]?.intValue)
      #expect(
        event["audit"]?["hash"]?.stringValue == journal.first { $0.seq == seq }?.hash,
        "the journal's own event")
    }
    #expect(requests.map { $0["headers"]?["content-type"] } == ["application/json", "application/json"])
    #expect(requests.map { $0["headers"]?["x-a0-event"] } == ["update_available", "upgrade_requested"])
    for (request, body) in zip(requests, bodies) {
      let check = try A0Binary.runProgram(
        "/usr/bin/env",
        [
          "python3", "-c",
          "import hmac,hashlib,sys; print(hmac.new(b'whsec-0123456789', sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
        ], stdin: body, environment: [:])
      let digest = check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(request["headers"]?["x-a0-signature"]?.stringValue == "sha256=" + digest)
    }
  }

  @Test("apprise.sh: one message per event through Apprise, to a JSON endpoint Apprise posts to")
  func apprise() throws {
    let apprise = try #require(
      TestTools.callerTools.find("apprise"), "CI installs apprise beside ansible-core")
    let scratch = ScratchDirectory()
    let server = try RecordingHTTPServer(in: scratch.path)
    let target = "json://127.0.0.1:\(server.port)/apprise"
    let paths = try deliverTwo(scratch, command: [Self.examples + "/apprise.sh", apprise, target])
    let requests = server.requests(count: 2)
    try #require(requests.count == 2, "\(requests) \(failures(paths))")
    let messages = requests.compactMap { $0["body"]?.stringValue.flatMap { try? JSONValue.parse($0) } }
    #expect(messages.map { $0["title"] } == ["a0: v1.0.0 is available", "a0: Upgrade to v1.0.0 requested"])
    #expect(messages[1]["message"]?.stringValue?.contains("approve v1.0.0") == true, "\(messages)")
  }

  @Test("sendmail.sh: a plain-text mail to the operator, handed to sendmail -t -oi")
  func sendmail() throws {
    let scratch = ScratchDirectory()
    // sendmail's interface, recorded: what a real MTA would be handed.
    let mails = scratch.path + "/mails"
    let program = scratch.path + "/sendmail"
    try "#!/bin/sh\n{ echo \"ARGS: $*\"; cat; echo '=== END'; } >> \(A0Binary.shellQuote(mails))\n"
      .write(toFile: program, atomically: true, encoding: .utf8)
    chmod(program, 0o755)
    let paths = try deliverTwo(
      scratch, command: [Self.examples + "/sendmail.sh", "ops@example.com", program])
    var text = ""
    for _ in 0..<200 where text.components(separatedBy: "=== END").count < 3 {
      usleep(100_000)
      text = (try? String(contentsOfFile: mails, encoding: .utf8)) ?? ""
    }
    let sent = text.components(separatedBy: "=== END\n").filter { !$0.isEmpty }
    try #require(sent.count == 2, "\(text) \(failures(paths))")
    #expect(sent.allSatisfy { $0.hasPrefix("ARGS: -t -oi\nTo: ops@example.com\nSubject: a0: ") })
    #expect(
      sent[0].contains("Subject: a0: v1.0.0 is available\n")
        && sent[0].contains("X-A0-Event: update_available"))
    #expect(sent[1].contains("Subject: a0: Upgrade to v1.0.0 requested\n"))
    #expect(sent[1].contains("\"event\":\"upgrade_requested\""), "the event itself, for the record")
  }
}
