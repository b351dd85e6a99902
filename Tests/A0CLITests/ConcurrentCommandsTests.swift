import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// Waits until the process `pid` holds the home's lock (its pid is in the
/// lock file), so a second command surely runs while the first mutates.
private func waitUntilHolding(_ paths: HomePaths, pid: Int32) throws {
  for _ in 0..<3000 {
    if let bytes = try? FileIO.read(paths.lock), let info = try? JSONValue.parse(bytes),
      info["pid"]?.intValue == Int64(pid)
    {
      return
    }
    usleep(10_000)
  }
  throw FixtureError(message: "pid \(pid) never took the lock")
}

private func isRunning(_ pid: Int32) -> Bool {
  guard kill(pid, 0) == 0 else { return false }
  let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
  return !stat.contains(") Z")
}

/// The invariants after any mix of commands: the journal verifies, state
/// agrees with it, and no staging leftovers are visible.
private func expectConsistent(_ paths: HomePaths) throws {
  #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  let status = try SampleApp.status(paths)
  #expect(status?["notes"] == [], "recovery had to repair something: \(String(describing: status?["notes"]))")
  let builds = (try? FileIO.listDirectory(paths.builds)) ?? []
  #expect(!builds.contains { $0.hasSuffix(".partial") })
}

@Suite("Concurrent a0 processes", .serialized)
struct ConcurrentCommandsTests {
  @Test("status readers during a staging never wait, never fail and never see a torn state")
  func readersDuringStaging() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    let staging = try A0Binary.start(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    try waitUntilHolding(paths, pid: staging.pid)
    var reads = 0
    var seen: Set<String> = []
    while isRunning(staging.pid) {
      let status = try A0Binary.run(["status", "--home", paths.root, "--json"])
      #expect(status.status == 0, "\(status.stdout)")
      let state = status.json?["data"]?["current_state"]?.stringValue
      #expect(state == "STAGING" || state == "VALIDATING", "\(status.stdout)")
      seen.insert(state ?? "?")
      let progress = try A0Binary.run(["staging-status", "--home", paths.root, "--json"])
      #expect(progress.status == 0 && progress.json != nil, "\(progress.stdout)")
      reads += 1
    }
    #expect(staging.wait().status == 0)
    #expect(reads >= 3, "the staging was too quick to overlap with readers")
    #expect(seen.contains("STAGING"))
    try expectConsistent(paths)
  }

  @Test("two upgrades at once: one mutates, the other is told the home is busy (4)")
  func twoUpgrades() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    let first = try A0Binary.start(["upgrade", "v1.0.0", "--home", paths.root, "--json"])
    let second = try A0Binary.start(["upgrade", "v1.0.0", "--home", paths.root, "--json"])
    let results = [first.wait(), second.wait()]
    #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map(\.stdout))")
    let loser = try #require(results.first { $0.status != 0 })
    #expect(loser.status == 4, "\(loser.stdout)")
    #expect(loser.json?["error"]?["code"] == "busy")
    let events = try TestHome.journalEvents(paths)
    #expect(events.filter { $0.eventType == "staging_started" }.count == 1)
    #expect(try SampleApp.status(paths)?["current_state"] == "COMPLETE")
    try expectConsistent(paths)
  }

  @Test("a human approving during a staging is told it is busy, or waits its turn with --wait")
  func approveDuringStaging() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    #expect(try SampleApp.agent(paths, ["request-upgrade", "v1.1.0"]).status == 0)
    let staging = try A0Binary.start(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    try waitUntilHolding(paths, pid: staging.pid)
    let refused = try A0Binary.runAtTerminal(["approve", "v1.1.0", "--home", paths.root], typed: "v1.1.0\n")
    #expect(refused.status == 4, "\(refused.stdout)")
    #expect(isRunning(staging.pid), "the staging ended before the approval was tried")
    let waiting = try A0Binary.startAtTerminal(
      ["approve", "v1.1.0", "--home", paths.root, "--wait", "300"], typed: "v1.1.0\n")
    #expect(staging.wait().status == 0)
    #expect(waiting.wait().status == 0)
    let events = try TestHome.journalEvents(paths)
    let approvals = events.filter { $0.eventType == "approval_granted" }
    #expect(approvals.count == 2)
    // The waiting approval was journaled after the staging finished, not in the middle of it.
    let stagingEnd = try #require(events.lastIndex { $0.stateAfter?["current_state"] == "VALIDATING" })
    let approvalIndex = try #require(events.lastIndex { $0.eventType == "approval_granted" })
    #expect(approvalIndex > stagingEnd)
    #expect(try SampleApp.status(paths)?["current_state"] == "VALIDATING")
    try expectConsistent(paths)
  }

  @Test("cleanup during a promotion is refused as busy and removes nothing")
  func cleanupDuringPromotion() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    #expect(try SampleApp.agent(paths, ["validate"]).status == 0)
    let artifactsBefore = try FileIO.listDirectory(paths.artifacts).sorted()
    let promotion = try A0Binary.start(["promote", "--home", paths.root, "--json"])
    try waitUntilHolding(paths, pid: promotion.pid)
    let cleanup = try SampleApp.agent(paths, ["cleanup-artifacts"])
    #expect(cleanup.status == 4, "\(cleanup.stdout)")
    #expect(isRunning(promotion.pid), "the promotion ended before the cleanup was tried")
    #expect(promotion.wait().status == 0)
    #expect(try FileIO.listDirectory(paths.artifacts).sorted() == artifactsBefore)
    #expect(try SampleApp.status(paths)?["current_state"] == "COMPLETE")
    #expect(SampleApp.servedVersion(paths) == "v1.0.0")
    try expectConsistent(paths)
  }
}
