import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// A home in ssh-signature mode on a local upstream, with alice and bob
/// allowed to sign and mallory holding a key that is not.
private struct SignedHome {
  let scratch = ScratchDirectory()
  let upstream: UpstreamFixture
  let paths: HomePaths
  let keys: SigningKeys
  let stranger: SigningKeys

  init(fourEyes: Bool = false) throws {
    upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1", "v1.2"])
    paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    keys = try SigningKeys(in: scratch.path, principals: ["alice@example", "bob@example"])
    stranger = try SigningKeys(in: scratch.path + "/stranger", principals: ["mallory@example"])
    try TestHome.configure(
      paths,
      [
        "humans.proof": "\"ssh-signature\"", "humans.allowed_signers": "\"\(keys.allowedSigners)\"",
        "humans.four_eyes": fourEyes ? "true" : "false",
      ])
  }

  func a0(_ arguments: [String]) throws -> A0Binary.Result {
    try A0Binary.run(arguments + ["--home", paths.root, "--json"])
  }

  func request(_ version: String, key: String? = nil) throws -> String {
    let result = try a0(["request-upgrade", version] + (key.map { ["--key", $0] } ?? []))
    guard result.status == 0, let id = result.json?["data"]?["request_id"]?.stringValue else {
      throw FixtureError(message: result.stdout)
    }
    return id
  }

  func signFile(_ payload: String, principal: String, keys: SigningKeys) throws -> String {
    let file = scratch.path + "/payload-\(UUID().uuidString)"
    try payload.write(toFile: file, atomically: false, encoding: .utf8)
    let result = try ProcessRunner().run(
      CommandLineSpec(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", keys.key(principal), "-n", "a0", file], timeoutSeconds: 30))
    guard result.succeeded else { throw FixtureError(message: result.tail()) }
    return file + ".sig"
  }
}

@Suite("ssh-signature humans")
struct SignatureTests {
  @Test("a human approves with --key; the journal names the signer and the key's fingerprint")
  func approveWithKey() throws {
    let home = try SignedHome()
    let id = try home.request("v1.1")
    let result = try home.a0(["approve", id, "--key", home.keys.key("alice@example")])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(result.json?["data"]?["decision"]?["by"] == "human:alice@example")
    let event = try TestHome.journalEvents(home.paths).last!
    #expect(event.eventType == "approval_granted")
    #expect(event.actor == "human:alice@example")
    #expect(event.details["proof"]?["fingerprint"]?.stringValue?.hasPrefix("SHA256:") == true)
    let machine = try Machine.openForReading(paths: home.paths, command: "test")
    #expect(try UpgradeRequests.usableApproval(machine, version: "v1.1").requestID == id)
  }

  @Test("a key that is not in allowed_signers is refused, journaled, and revokes executor")
  func wrongKey() throws {
    let home = try SignedHome()
    try TestHome.put(home.paths, state: .idle, authority: .executor)
    let id = try home.request("v1.1")
    let result = try home.a0(["approve", id, "--key", home.stranger.key("mallory@example")])
    #expect(result.status == 3)
    #expect(result.json?["error"]?["authority_required"] == "human")
    let event = try TestHome.journalEvents(home.paths).last!
    #expect(event.eventType == "unauthorized_attempt")
    #expect(event.details["authority_revoked"] == .bool(true))
    let pending = try home.a0(["pending-approvals"])
    #expect(pending.json?["data"]?["pending"]?.arrayValue?.count == 1)
  }

  @Test("--print-payload shows what to sign; a signature made elsewhere over it is accepted")
  func signatureMadeElsewhere() throws {
    let home = try SignedHome()
    let id = try home.request("v1.1")
    let journalBefore = TestHome.read(home.paths.journal)
    let printed = try A0Binary.run(["approve", id, "--home", home.paths.root, "--print-payload"])
    #expect(printed.status == 0)
    #expect(printed.stdout.contains("request: \(id)"))
    #expect(printed.stdout.contains("commit: \(try home.upstream.sha(of: "v1.1"))"))
    #expect(TestHome.read(home.paths.journal) == journalBefore, "printing the payload changes nothing")
    let signature = try home.signFile(printed.stdout, principal: "bob@example", keys: home.keys)
    let result = try home.a0(["approve", id, "--signature", signature])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(result.json?["data"]?["decision"]?["by"] == "human:bob@example")
  }

  @Test("a signature over another request is refused")
  func otherRequest() throws {
    let home = try SignedHome()
    let first = try home.request("v1.1")
    let second = try home.request("v1.2")
    let payload = try A0Binary.run(["approve", first, "--home", home.paths.root, "--print-payload"]).stdout
    let signature = try home.signFile(payload, principal: "alice@example", keys: home.keys)
    let result = try home.a0(["approve", second, "--signature", signature])
    #expect(result.status == 3)
    #expect(try TestHome.journalEvents(home.paths).last?.eventType == "unauthorized_attempt")
  }

  @Test(
    "a command signature cannot be replayed: it covers the last change of state, which the agent's own events do not move"
  )
  func replay() throws {
    let home = try SignedHome()
    try TestHome.put(home.paths, state: .failed)
    let payload = try A0Binary.run(["clear-failure", "--home", home.paths.root, "--print-payload"]).stdout
    #expect(payload.contains("state-head: "))
    let signature = try home.signFile(payload, principal: "alice@example", keys: home.keys)
    // While the human signs off the host, the agent adds events that change no state.
    let eventsBefore = try TestHome.journalEvents(home.paths).count
    for _ in 0..<5 {
      _ = try home.a0(["begin-staging", "v1.1"])
      _ = try home.a0(["request-upgrade", "v1.1"])
    }
    #expect(try TestHome.journalEvents(home.paths).count > eventsBefore, "the agent moved the journal head")
    let first = try home.a0(["clear-failure", "--signature", signature])
    #expect(first.status == 0, "\(first.stdout)")
    try TestHome.put(home.paths, state: .failed)
    let replayed = try home.a0(["clear-failure", "--signature", signature])
    #expect(replayed.status == 3)
    let status = try home.a0(["status"]).json?["data"]
    #expect(status?["current_state"] == "FAILED")
  }

  @Test("with four eyes, a human cannot approve their own request")
  func fourEyes() throws {
    let home = try SignedHome(fourEyes: true)
    let id = try home.request("v1.1", key: home.keys.key("alice@example"))
    let own = try home.a0(["approve", id, "--key", home.keys.key("alice@example")])
    #expect(own.status == 3)
    #expect(own.json?["error"]?["message"]?.stringValue?.contains("may not approve") == true)
    let other = try home.a0(["approve", id, "--key", home.keys.key("bob@example")])
    #expect(other.status == 0, "\(other.stdout)")
  }

  @Test(
    "an approval file edited after approval is refused at use (5)",
    arguments: [
      ("commit_sha", "\"0000000000000000000000000000000000000000\""), ("requester", "\"agent:someone-else\""),
      ("expires_at", "\"2099-01-01T00:00:00.000Z\""),
    ])
  func editedApproval(field: String, value: String) throws {
    let home = try SignedHome()
    let id = try home.request("v1.1")
    #expect(try home.a0(["approve", id, "--key", home.keys.key("alice@example")]).status == 0)
    let file = home.paths.approvals + "/\(id).json"
    let lines = TestHome.read(file).components(separatedBy: "\n").map { line -> String in
      guard line.trimmingCharacters(in: .whitespaces).hasPrefix("\"\(field)\":") else { return line }
      let indent = line.prefix { $0 == " " }
      return "\(indent)\"\(field)\": \(value)\(line.hasSuffix(",") ? "," : "")"
    }
    try TestHome.write(file, lines.joined(separator: "\n"))
    let machine = try Machine.openForReading(paths: home.paths, command: "test")
    do {
      _ = try UpgradeRequests.usableApproval(machine, version: "v1.1")
      Issue.record("an edited approval was accepted")
    } catch {
      #expect(error.kind == .integrityViolation)
    }
  }

  @Test("a hand-written approval file is refused at use")
  func handWritten() throws {
    let home = try SignedHome()
    let id = try home.request("v1.1")
    var record = try #require(try ApprovalStore(paths: home.paths).load(id))
    record.status = .approved
    record.decision = ApprovalRecord.Decision(
      approved: true, by: "human:alice@example", at: Timestamp(iso8601: "2026-11-25T09:00:00Z")!, reason: "",
      expiresAt: Timestamp(iso8601: "2099-01-01T00:00:00Z"), proof: ["mode": "ssh-signature"], auditSeq: 1,
      bindingHash: String(repeating: "0", count: 64))
    try ApprovalStore(paths: home.paths).save(record)
    let machine = try Machine.openForReading(paths: home.paths, command: "test")
    #expect(throws: A0Error.self) { try UpgradeRequests.usableApproval(machine, version: "v1.1") }
  }

  @Test("--key in tty mode is refused as bad input")
  func keyInTTYMode() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .failed)
    let result = try A0Binary.run(["clear-failure", "--home", paths.root, "--key", "/nonexistent", "--json"])
    #expect(result.status == 65)
  }
}

@Suite("Approval lifetime")
struct ApprovalLifetimeTests {
  @Test("an approval expires after approval_ttl_hours, and is used once")
  func expiryAndSingleUse() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    let clock = ManualClock()
    let machine = try Machine.openForMutation(
      paths: paths, command: "test", waitSeconds: 0, world: World(clock: clock))
    let agent = Caller.agent(name: "agent-zero", level: .observer)
    let requested = try UpgradeRequests.request(
      machine, upstream: machine.upstream(),
      version: Version(tag: "v1.0")!, reason: "",
      allowPrerelease: false, forceCheck: false, caller: agent)
    _ = try UpgradeRequests.decide(
      machine, record: requested.record, reference: "v1.0", approve: true, caller: .human(identity: "alice"),
      reason: "", allowDowngrade: false, evidence: ["mode": "tty"])
    #expect(
      try UpgradeRequests.usableApproval(machine, version: "v1.0").requestID == requested.record.requestID)
    clock.advance(seconds: 23 * 3600)
    #expect(throws: Never.self) { try UpgradeRequests.usableApproval(machine, version: "v1.0") }
    clock.advance(seconds: 3600)
    do {
      _ = try UpgradeRequests.usableApproval(machine, version: "v1.0")
      Issue.record("an expired approval was accepted")
    } catch {
      #expect(error.kind == .approvalRequired)
    }
    clock.advance(seconds: -3600)
    try machine.record(
      eventType: "approval_consumed", actor: "system",
      details: ["request_id": .string(requested.record.requestID)])
    do {
      _ = try UpgradeRequests.usableApproval(machine, version: "v1.0")
      Issue.record("a used approval was accepted")
    } catch {
      #expect(error.kind == .approvalRequired)
    }
  }
}

@Suite("grant and revoke")
struct GrantTests {
  @Test("executor needs a proven lifecycle, or --bootstrap once on a new home")
  func grant() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let agent = try A0Binary.run(["grant", "executor", "--reason", "x", "--home", paths.root, "--json"])
    #expect(agent.status == 3)
    let unproven = try A0Binary.runAtTerminal(
      ["grant", "executor", "--reason", "x", "--home", paths.root], typed: "grant\n")
    #expect(unproven.status == 2)
    #expect(unproven.stdout.contains("completed upgrade"))
    let bootstrap = try A0Binary.runAtTerminal(
      ["grant", "executor", "--reason", "x", "--bootstrap", "--home", paths.root], typed: "grant\n")
    #expect(bootstrap.status == 0, "\(bootstrap.stdout)")
    #expect(
      try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]?["authority_level"]
        == "executor")
    let revoke = try A0Binary.runAtTerminal(
      ["revoke", "--reason", "done", "--home", paths.root], typed: "revoke\n")
    #expect(revoke.status == 0)
    #expect(
      try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]?["authority_level"]
        == "observer")
    let again = try A0Binary.runAtTerminal(
      ["grant", "executor", "--reason", "x", "--bootstrap", "--home", paths.root], typed: "grant\n")
    #expect(again.status == 2, "bootstrap is once per home")
  }

  @Test("a journal broken in the middle blocks a grant (5)")
  func brokenJournal() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .failed)
    try TestHome.put(paths, state: .idle)
    try TestHome.write(
      paths.journal, TestHome.read(paths.journal).replacingOccurrences(of: "test failure", with: "no failure")
    )
    let result = try A0Binary.runAtTerminal(
      ["grant", "executor", "--reason", "x", "--bootstrap", "--home", paths.root], typed: "grant\n")
    #expect(result.status == 5)
  }
}
