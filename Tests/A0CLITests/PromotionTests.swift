import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// Production is sound: the link points at a published, verified release,
/// and that release is what answers.
private func expectSoundProduction(_ paths: HomePaths, serving version: String) throws {
  let production = try #require(ProductionInfo.read(paths))
  #expect(production.version == version)
  #expect(FileIO.readLink(paths.root + "/app") == ".billy/builds/\(production.buildID)/app")
  #expect(try A0Binary.run(["verify", "--home", paths.root]).status == 0)
  #expect(SampleApp.servedVersion(paths) == version)
}

/// v1.1.0 in production, then a promotion of v1.3.0 (unhealthy there),
/// returned once production has switched and the service restarted.
private func promotingUnhealthyRelease(_ paths: HomePaths) throws -> RunningProcess {
  try SampleApp.putInProduction(paths, "v1.1.0")
  try SampleApp.approve(paths, "v1.3.0")
  #expect(try SampleApp.agent(paths, ["begin-staging", "v1.3.0"]).status == 0)
  #expect(try SampleApp.agent(paths, ["validate"]).status == 0)
  let promote = try A0Binary.start(["promote", "--home", paths.root, "--json"])
  var switched = false
  for _ in 0..<200 where !switched {
    switched = try TestHome.journalEvents(paths).last?.eventType == "service_restart"
    if !switched { usleep(50_000) }
  }
  #expect(switched)
  return promote
}

@Suite("Promotion and rollback", .serialized)
struct PromotionTests {
  @Test("a good upgrade ends COMPLETE, healthy over HTTP; confirm makes it known-good")
  func goodUpgrade() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    #expect(try SampleApp.agent(paths, ["validate"]).status == 0)
    let promote = try SampleApp.agent(paths, ["promote"])
    #expect(promote.status == 0, "\(promote.stdout)")
    #expect(try SampleApp.status(paths)?["current_state"] == "COMPLETE")
    try expectSoundProduction(paths, serving: "v1.0.0")
    let health = try JSONValue.parse(Array(TestHome.read(paths.lastHealthCheck).utf8))
    #expect(health["status"] == "HEALTHY")
    #expect(FileIO.exists(paths.snapshots))
    try SampleApp.confirm(paths, "v1.0.0")
    #expect(ProductionInfo.read(path: paths.knownGood)?.version == "v1.0.0")
    #expect(try SampleApp.status(paths)?["current_state"] == "IDLE")
  }

  @Test(
    "a restart that leaves the old release answering fails the health gate: the new version must be what answers"
  )
  func oldReleaseStillAnswering() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    // A restart command that succeeds and changes nothing, as a unit with the wrong name would.
    try TestHome.configure(
      paths,
      ["service.restart": "[\"/bin/true\"]", "service.stop": "[]", "service.health_timeout_seconds": "3"])
    let result = try SampleApp.upgrade(paths, to: "v1.1.0")
    #expect(result.status == 1, "\(result.stdout)")
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE")
    #expect(
      status?["last_failure"]?["error"]?.stringValue?.contains(#"version is "v1.0.0", not "v1.1.0""#) == true,
      "\(String(describing: status))")
    try expectSoundProduction(paths, serving: "v1.0.0")
  }

  @Test(
    "a service that is not running after the restart fails the gate at once, not after the health timeout")
  func deadServiceFailsAtOnce() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    let config = try ConfigLoader.load(path: paths.config)
    let service = SampleApp.examples + "/sample-service"
    let port = String(config.service.restart.last ?? "")
    // v1.1.0 never comes up (as a release that dies on start); v1.0.0 does.
    let restart =
      "if [ \"$A0_VERSION\" = v1.0.0 ]; then exec '\(service)' restart '\(paths.root)' \(port); "
      + "else '\(service)' stop '\(paths.root)' \(port); fi"
    try TestHome.configure(
      paths,
      [
        "service.restart": "[\"/bin/sh\", \"-c\", \(TOMLText.quote(restart))]",
        "service.health_timeout_seconds": "60",
      ])
    try SampleApp.approve(paths, "v1.1.0")
    let started = Date()
    let result = try SampleApp.agent(paths, ["upgrade", "v1.1.0"])
    #expect(result.status == 1, "\(result.stdout)")
    #expect(Date().timeIntervalSince(started) < 30, "not the 60 s health timeout")
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE")
    #expect(
      status?["last_failure"]?["error"]?.stringValue?.contains("exited") == true,
      "\(String(describing: status))")
    try expectSoundProduction(paths, serving: "v1.0.0")
  }

  @Test(
    "a release that fails health in production rolls back code and data and ends in IDLE serving the old one")
  func automaticRollback() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.1.0")
    let before = try JSONValue.parse(Array(TestHome.read(paths.shared + "/data/notes.json").utf8))
    #expect(before["format"] == .int(1))

    let result = try SampleApp.upgrade(paths, to: "v1.3.0")
    #expect(result.status == 1, "\(result.stdout)")
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE")
    #expect(status?["reason_code"] == "rollback_completed")
    #expect(
      status?["last_failure"]?["error"]?.stringValue?.contains("v1.3.0 failed its health check") == true)
    try expectSoundProduction(paths, serving: "v1.1.0")
    let after = try JSONValue.parse(Array(TestHome.read(paths.shared + "/data/notes.json").utf8))
    #expect(after["format"] == .int(1), "the migration v1.3.0 wrote is undone")
    let entries = after["entries"]?.arrayValue ?? []
    #expect(
      Array(entries.prefix(before["entries"]?.arrayValue?.count ?? 0)) == before["entries"]?.arrayValue ?? [])
    let types = try TestHome.journalEvents(paths).map(\.eventType)
    #expect(types.contains("snapshot_restored"))
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test(
    "a first install that fails health removes the production link and ends in IDLE with the failure recorded"
  )
  func firstInstallFails() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try TestHome.put(paths, state: .idle, authority: .executor)
    let wrongPort = try SilentListener.freePort()
    try TestHome.configure(
      paths,
      [
        "service.health_url": "\"http://127.0.0.1:\(wrongPort)/health\"",
        "service.health_timeout_seconds": "2",
      ])
    let result = try SampleApp.upgrade(paths, to: "v1.0.0")
    #expect(result.status == 1)
    #expect(FileIO.readLink(paths.root + "/app") == nil)
    #expect(ProductionInfo.read(paths) == nil)
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE")
    #expect(status?["last_failure"] != .null)
  }

  @Test(
    "when the old version fails too, the machine ends FAILED_HARD, locked, and only a human reset leaves it")
  func rollbackFails() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    let config = try ConfigLoader.load(path: paths.config)
    let wrapper = scratch.path + "/flaky-service"
    try """
    #!/bin/sh
    [ -f "\(scratch.path)/break" ] && { echo "restart refused" >&2; exit 1; }
    exec "$@"
    """.write(toFile: wrapper, atomically: false, encoding: .utf8)
    chmod(wrapper, 0o755)
    let restart = ([wrapper] + config.service.restart).map { "\"\($0)\"" }.joined(separator: ", ")
    try TestHome.configure(paths, ["service.restart": "[\(restart)]"])
    try SampleApp.putInProduction(paths, "v1.0.0")
    try TestHome.write(scratch.path + "/break", "")

    let result = try SampleApp.upgrade(paths, to: "v1.1.0")
    #expect(result.status == 1)
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "FAILED_HARD")
    #expect(status?["reason_code"] == "rollback_failed")
    #expect(status?["locks"]?["upgrade_locked"] == .bool(true))
    #expect(status?["locks"]?["rollback_locked"] == .bool(true))
    #expect(status?["authority_level"] == "observer")
    #expect(try SampleApp.agent(paths, ["rollback"]).status == 3)
    #expect(
      try A0Binary.runAtTerminal(["clear-failure", "--home", paths.root], typed: "clear-failure\n").status
        == 2)
    let reset = try A0Binary.runAtTerminal(
      ["reset", "--reason", "restart fixed by hand", "--home", paths.root], typed: "reset\n")
    #expect(reset.status == 0, "\(reset.stdout)")
    #expect(try SampleApp.status(paths)?["current_state"] == "IDLE")
  }

  @Test("rollback to known-good after an unwanted upgrade; then executor can be granted without bootstrap")
  func rollbackCommand() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    #expect(try SampleApp.upgrade(paths, to: "v1.1.0").status == 0)
    #expect(try SampleApp.agent(paths, ["rollback"]).status == 2, "COMPLETE has no exit but confirm or reset")
    #expect(
      try A0Binary.runAtTerminal(["reset", "--reason", "unwanted", "--home", paths.root], typed: "reset\n")
        .status == 0)
    let rollback = try SampleApp.agent(paths, ["rollback"])
    #expect(rollback.status == 0, "\(rollback.stdout)")
    #expect(try SampleApp.status(paths)?["current_state"] == "COMPLETE")
    try expectSoundProduction(paths, serving: "v1.0.0")
    try SampleApp.confirm(paths, "v1.0.0")
    #expect(
      try A0Binary.runAtTerminal(["revoke", "--reason", "test", "--home", paths.root], typed: "revoke\n")
        .status == 0)
    let grant = try A0Binary.runAtTerminal(
      ["grant", "executor", "--reason", "proven", "--home", paths.root], typed: "grant\n")
    #expect(grant.status == 0, "\(grant.stdout)")
  }

  @Test("a SIGKILL during promotion is recovered by the next command; production is never partial")
  func killedDuringPromotion() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    let promote = try promotingUnhealthyRelease(paths)
    kill(promote.pid, SIGKILL)
    _ = promote.wait()
    #expect(
      try TestHome.journalEvents(paths).last { $0.eventType == "state_transition" }?.details["to"]
        == "PROMOTING")
    // The next command finishes the story by the facts: the link is at
    // v1.3.0, which is unhealthy, so it rolls back code and data.
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE")
    #expect(status?["reason_code"] == "rollback_completed")
    try expectSoundProduction(paths, serving: "v1.1.0")
    #expect(
      try JSONValue.parse(Array(TestHome.read(paths.shared + "/data/notes.json").utf8))["format"] == .int(1))
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test("SIGINT during promotion rolls back to the old release, whatever else arrives during the rollback")
  func interruptedPromotion() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    let promote = try promotingUnhealthyRelease(paths)
    // The caller interrupts the promotion, then keeps interrupting the rollback.
    kill(promote.pid, SIGINT)
    for _ in 0..<10 {
      usleep(100_000)
      kill(promote.pid, SIGINT)
    }
    _ = promote.wait()
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE", "\(String(describing: status))")
    #expect(status?["reason_code"] == "rollback_completed")
    try expectSoundProduction(paths, serving: "v1.1.0")
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test("verify names a production file that differs and records INCONSISTENT")
  func verifyTampered() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    #expect(try A0Binary.run(["verify", "--home", paths.root]).status == 0)
    #expect(try SampleApp.status(paths)?["observed_state"] == "CONSISTENT")
    try TestHome.write(paths.root + "/app/app.py", "# replaced\n")
    let result = try A0Binary.run(["verify", "--home", paths.root, "--json"])
    #expect(result.status == 5)
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("app.py") == true)
    #expect(try SampleApp.status(paths)?["observed_state"] == "INCONSISTENT")
  }
}
