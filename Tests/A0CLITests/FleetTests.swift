import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// The playbooks of `deploy/ansible/` driving four hosts over real SSH:
/// waves, a halt on the first failure, one signed human decision per host.
@Suite("Fleet rollouts on Ansible", .serialized)
struct FleetTests {
  static let available =
    Needs.root && Needs.tool("ansible-playbook")
    && (Needs.underCI || FileManager.default.fileExists(atPath: Fleet.sshd))

  /// The rows of the final table, by host: [this run, state, production, known-good].
  func table(_ output: String) -> [String: [String]] {
    var rows: [String: [String]] = [:]
    for line in output.split(separator: "\n") where line.hasPrefix("a0-fleet ") {
      let cells = line.split(separator: " ").dropFirst().map(String.init)
      guard let host = cells.first, host != "HOST" else { continue }
      // "not started" is two words.
      let rest = Array(cells.dropFirst())
      rows[host] = rest.first == "not" ? ["not started"] + rest.dropFirst(2) : rest
    }
    return rows
  }

  func state(_ fleet: Fleet, _ host: Fleet.Host) throws -> (String?, String?, String?) {
    let status = try fleet.status(host)
    return (
      status?["current_state"]?.stringValue, status?["production"]?["version"]?.stringValue,
      status?["known_good"]?["version"]?.stringValue
    )
  }

  func journalCount(_ host: Fleet.Host, _ type: String) throws -> Int {
    try TestHome.journalEvents(host.paths).filter { $0.eventType == type }.count
  }

  func request(_ fleet: Fleet, _ version: String) throws {
    let requested = try fleet.play("request.yml", ["-e", "version=\(version)"])
    #expect(requested.status == 0, "\(requested.stdout)")
    let approved = try fleet.play(
      "approve.yml", ["-e", "version=\(version)", "-e", "a0_signing_key=\(fleet.keys.key("alice"))"])
    #expect(approved.status == 0, "\(approved.stdout)")
  }

  @Test(
    "the module's documentation is what ansible-doc reads",
    .enabled(if: available, Comment(rawValue: Needs.ansibleReason)))
  func documentation() throws {
    let ansibleDoc = TestTools.callerTools.find("ansible-doc") ?? "ansible-doc"
    let doc = try A0Binary.runProgram(
      ansibleDoc, ["-M", Fleet.playbooks + "/library", "a0"], stdin: "", environment: ["ANSIBLE_NOCOLOR": "1"]
    )
    #expect(doc.status == 0, "\(doc.stderr)")
    let lines = doc.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    for option in [
      "command", "home", "binary", "version", "reason", "wait_seconds", "signature", "print_payload",
    ] {
      // ansible-doc lists each option as `= name` (required) or `- name`.
      #expect(lines.contains { $0.hasPrefix("= \(option) ") || $0.hasPrefix("- \(option) ") }, "\(option)")
    }
    #expect(doc.stdout.contains("Check mode is supported"), "\(doc.stdout)")
  }

  @Test(
    "four hosts over SSH: three waves, a canary that stops the rollout, a wave-2 failure rolled back by a0, idempotent reruns, the human's signatures, each host's truth",
    .enabled(if: available, Comment(rawValue: Needs.ansibleReason)))
  func fleet() throws {
    let scratch = ScratchDirectory()
    let fleet = try Fleet(in: scratch.path)
    let (h1, h2, h3, h4) = (fleet.hosts[0], fleet.hosts[1], fleet.hosts[2], fleet.hosts[3])

    // Requesting: check mode changes nothing; a second request is ok, not changed.
    let checked = try fleet.play("request.yml", ["-e", "version=v1.0.0", "--check"])
    #expect(checked.status == 0 && checked.stdout.contains("changed=1"), "\(checked.stdout)")
    #expect(try journalCount(h1, "upgrade_requested") == 0, "check mode requested nothing")
    try request(fleet, "v1.0.0")
    let again = try fleet.play("request.yml", ["-e", "version=v1.0.0"])
    #expect(again.status == 0 && !again.stdout.contains("changed=1"), "\(again.stdout)")

    // Check mode says each host would change, and changes none.
    let dryRun = try fleet.play("rollout.yml", ["-e", "version=v1.0.0", "--check"])
    #expect(dryRun.status == 0, "\(dryRun.stdout)")
    for host in fleet.hosts {
      #expect(table(dryRun.stdout)[host.name]?.prefix(2) == ["changed", "IDLE"], "\(dryRun.stdout)")
      #expect(try journalCount(host, "staging_started") == 0, "\(host.name)")
    }

    // A healthy release in three waves: 1, 25 % (one host), the rest.
    let healthy = try fleet.play("rollout.yml", ["-e", "version=v1.0.0"])
    #expect(healthy.status == 0, "\(healthy.stdout)")
    #expect(healthy.stdout.components(separatedBy: "PLAY [Roll out v1.0.0 in waves]").count - 1 == 3)
    for host in fleet.hosts {
      #expect(try state(fleet, host) == ("COMPLETE", "v1.0.0", nil), "\(host.name)")
      #expect(table(healthy.stdout)[host.name]?.prefix(3) == ["changed", "COMPLETE", "v1.0.0"])
    }
    let confirmed = try fleet.play("confirm.yml", ["-e", "a0_signing_key=\(fleet.keys.key("alice"))"])
    #expect(confirmed.status == 0, "\(confirmed.stdout)")
    for host in fleet.hosts {
      #expect(try state(fleet, host) == ("IDLE", "v1.0.0", "v1.0.0"), "\(host.name)")
    }

    // v1.2.0 fails validation: the canary fails, no other host is touched.
    try request(fleet, "v1.2.0")
    let staged = try fleet.hosts.map { try journalCount($0, "staging_started") }
    let canary = try fleet.play("rollout.yml", ["-e", "version=v1.2.0"])
    #expect(canary.status != 0, "\(canary.stdout)")
    #expect(try state(fleet, h1) == ("FAILED", "v1.0.0", "v1.0.0"))
    for (index, host) in fleet.hosts.enumerated().dropFirst() {
      #expect(try state(fleet, host) == ("IDLE", "v1.0.0", "v1.0.0"), "\(host.name)")
      #expect(try journalCount(host, "staging_started") == staged[index], "\(host.name) was not staged")
      #expect(table(canary.stdout)[host.name]?.first == "not started", "\(canary.stdout)")
    }

    // v1.1.0 cannot start on h2: wave 1 keeps it, h2 is rolled back by a0, wave 3 never starts.
    try fleet.breakRelease("v1.1.0", on: h2)
    try request(fleet, "v1.1.0")
    // The waves as an operator types them in a shell: -e a0_waves='[1, 1, "100%"]'.
    let partial = try fleet.play("rollout.yml", ["-e", "version=v1.1.0", "-e", "a0_waves=[1, 1, \"100%\"]"])
    #expect(partial.status != 0, "\(partial.stdout)")
    #expect(
      partial.stdout.components(separatedBy: "PLAY [Roll out v1.1.0 in waves]").count - 1 == 2,
      "waves 1 and 2")
    #expect(try state(fleet, h1) == ("COMPLETE", "v1.1.0", "v1.0.0"))
    #expect(try state(fleet, h2) == ("IDLE", "v1.0.0", "v1.0.0"))
    let switchedBack = try TestHome.journalEvents(h2.paths).filter {
      $0.eventType == "production_switched" && $0.details["rollback"] == true
    }
    #expect(switchedBack.count == 1, "a0 rolled h2 back once")
    #expect(
      try fleet.status(h2)?["last_failure"]?["error"]?.stringValue?.contains("cannot run v1.1.0") == true)
    for host in [h3, h4] {
      #expect(try state(fleet, host) == ("IDLE", "v1.0.0", "v1.0.0"), "\(host.name)")
      #expect(table(partial.stdout)[host.name]?.first == "not started", "\(partial.stdout)")
    }

    // A rerun never upgrades a finished host again and stops where it stopped.
    let journalBefore = TestHome.read(h1.paths.journal)
    let rerun = try fleet.play("rollout.yml", ["-e", "version=v1.1.0"])
    #expect(rerun.status != 0, "\(rerun.stdout)")
    #expect(TestHome.read(h1.paths.journal) == journalBefore, "h1 was left as it was")
    #expect(table(rerun.stdout)[h1.name]?.prefix(3) == ["ok", "COMPLETE", "v1.1.0"], "\(rerun.stdout)")
    #expect(table(rerun.stdout)[h3.name]?.first == "not started", "\(rerun.stdout)")

    // status.yml tells each host's truth, one line each.
    let report = try fleet.play("status.yml")
    #expect(report.status == 0, "\(report.stdout)")
    for host in fleet.hosts {
      let (current, production, knownGood) = try state(fleet, host)
      let line =
        "a0-status \(host.name) state=\(current ?? "?") production=\(production ?? "none") "
        + "known_good=\(knownGood ?? "none")"
      #expect(report.stdout.contains(line), "\(line) in \(report.stdout)")
    }
    #expect(
      report.stdout.contains(
        "a0-status \(h3.name) state=IDLE production=v1.0.0 known_good=v1.0.0 pending=none"))

    // rollback.yml: h1's unconfirmed v1.1.0 is reset by the human, then rolled back to known-good.
    let rolledBack = try fleet.play("rollback.yml", ["-e", "a0_signing_key=\(fleet.keys.key("alice"))"])
    #expect(rolledBack.status == 0, "\(rolledBack.stdout)")
    #expect(try state(fleet, h1).1 == "v1.0.0")
    for host in [h2, h3, h4] {
      #expect(try state(fleet, host) == ("IDLE", "v1.0.0", "v1.0.0"), "\(host.name)")
    }

    // A canary that cannot be reached counts as failed: the rollout stops, the rest untouched.
    try fleet.disconnect(h1)
    let journals = [h3, h4].map { TestHome.read($0.paths.journal) }
    let unreachable = try fleet.play("rollout.yml", ["-e", "version=v1.1.0", "-e", "a0_hosts=h1:h3:h4"])
    #expect(unreachable.status != 0, "\(unreachable.stdout)")
    #expect(table(unreachable.stdout)[h1.name]?.first == "unreachable", "\(unreachable.stdout)")
    #expect([h3, h4].map { TestHome.read($0.paths.journal) } == journals, "h3 and h4 were not touched")

    // A key no host allows approves nothing anywhere.
    let requested = try fleet.play("request.yml", ["-e", "version=v1.3.0", "-e", "a0_hosts=h3:h4"])
    #expect(requested.status == 0, "\(requested.stdout)")
    let forged = try fleet.play(
      "approve.yml",
      ["-e", "version=v1.3.0", "-e", "a0_hosts=h3:h4", "-e", "a0_signing_key=\(fleet.keys.key("mallory"))"])
    #expect(forged.status != 0, "\(forged.stdout)")
    for host in [h3, h4] {
      #expect(try journalCount(host, "approval_granted") == 3, "\(host.name): only v1.0.0, v1.2.0 and v1.1.0")
      let pending = try A0Binary.run(["pending-approvals", "--home", host.paths.root, "--json"])
      #expect(
        pending.json?["data"]?["pending"]?.arrayValue?.first?["version"] == "v1.3.0", "\(pending.stdout)")
    }
  }
}
