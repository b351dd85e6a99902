import A0Core
import A0Lifecycle
import A0System
import A0TestRandom
import A0TestSupport
import Foundation
import Testing

/// Kill points on the upgrade path (v1.0.0 → v1.1.0, healthy) and on the
/// rollback path (v1.0.0 → v1.3.0, which fails in production).
private let upgradePoints = [
  "transition-STAGING.after-journal", "staging.clone", "staging.dependencies", "staging.hash",
  "staging.publish",
  "transition-VALIDATING.after-journal", "transition-PROMOTING.after-state", "promote.after-snapshot",
  "promote.after-switch", "promote.after-restart", "promote.after-health", "promote.after-version-file",
  "transition-COMPLETE.after-journal",
]
private let rollbackPoints = [
  "transition-ROLLING_BACK.after-journal", "rollback.before-switch", "rollback.after-switch",
  "rollback.before-restore", "rollback.after-restore", "rollback.after-restart",
  "transition-IDLE.after-journal",
]

private let matrix = upgradePoints.map { ("v1.1.0", $0) } + rollbackPoints.map { ("v1.3.0", $0) }

/// One row of the printed matrix.
private actor MatrixLog {
  static let shared = MatrixLog()
  var rows: [String] = []
  func add(_ row: String) {
    rows.append(row)
    print("crash-matrix | " + row)
  }
}

/// The invariants after a crash: the next command recovers; the state is
/// valid and not mid-operation; the journal verifies; no partial build or
/// temporary link; production is a verified release, and it is what answers;
/// user data is the pre- or post-promotion copy.
private func checkRecovered(_ paths: HomePaths, before: String, label point: String) throws
  -> (String, ProductionInfo, String?)
{
  // The next command, whatever it is, recovers first.
  let status = try A0Binary.run(["status", "--home", paths.root, "--json"])
  #expect(status.status == 0, "\(status.stdout)")
  let data = status.json?["data"]
  let state = data?["current_state"]?.stringValue ?? "?"
  #expect(["IDLE", "COMPLETE", "FAILED", "VALIDATING"].contains(state), "\(point): \(state)")
  #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  let builds = (try? FileIO.listDirectory(paths.builds)) ?? []
  #expect(!builds.contains { FileIO.exists(paths.builds + "/" + $0 + "/.partial") }, "no partial build")
  let leftovers =
    ((try? FileIO.listDirectory(paths.root)) ?? []) + ((try? FileIO.listDirectory(paths.artifacts)) ?? [])
  #expect(!leftovers.contains { $0.contains(".tmp-") }, "no temporary link")

  let production = try #require(ProductionInfo.read(paths))
  #expect(FileIO.readLink(paths.root + "/app") == ".billy/builds/\(production.buildID)/app")
  #expect(try A0Binary.run(["verify", "--home", paths.root]).status == 0)
  var served = SampleApp.servedVersion(paths)
  if served == nil && state == "VALIDATING" || served == nil && state == "FAILED" {
    // Killed before production was touched, or after its restart was
    // stopped with the process: the service is whatever was running.
    served = production.version
  }
  #expect(served == production.version, "\(point): the app answering is the release the link points at")
  let notes = try JSONValue.parse(Array(TestHome.read(paths.shared + "/data/notes.json").utf8))
  #expect(notes["format"] == .int(1), "\(point): user data is the pre- or post-promotion copy, never a mix")
  #expect(TestHome.read(paths.shared + "/data/notes.json").hasPrefix(String(before.dropLast(2))))
  return (state, production, served)
}

@Suite("Crash matrix: SIGKILL at every durable step", .serialized)
struct CrashMatrixTests {
  @Test(
    "after a kill at each point, the next command leaves a consistent home and a sound production",
    arguments: matrix)
  func killAt(version: String, point: String) async throws {
    let (scratch, paths, before) = try productionApproving(version)
    defer { SampleApp.stopService(paths) }
    _ = scratch

    let killed = try A0Binary.run(
      ["upgrade", version, "--home", paths.root, "--json"], environment: ["A0_FAULT": point])
    #expect(killed.status == 128 + SIGKILL, "the fault point \(point) was reached: \(killed.stdout)")

    let (state, production, served) = try checkRecovered(paths, before: before, label: point)
    await MatrixLog.shared.add(
      "\(version) | \(point.padding(toLength: 38, withPad: " ", startingAt: 0)) | \(state.padding(toLength: 10, withPad: " ", startingAt: 0)) | production \(production.version) | serving \(served ?? "-")"
    )
  }

  @Test(
    "SIGKILL at random moments of an upgrade or a failing upgrade (seeded): the same invariants hold",
    arguments: randomKillCases())
  func randomKill(seed: UInt64, version: String) async throws {
    let (scratch, paths, before) = try productionApproving(version)
    defer { SampleApp.stopService(paths) }
    _ = scratch
    var generator = SplitMix64(seed: seed)
    let delay = UInt32.random(in: 100_000...9_000_000, using: &generator)
    let upgrade = try A0Binary.start(["upgrade", version, "--home", paths.root, "--json"])
    usleep(delay)
    kill(upgrade.pid, SIGKILL)
    let outcome = upgrade.wait()
    let (state, production, served) = try checkRecovered(
      paths, before: before, label: "random \(delay / 1000) ms")
    await MatrixLog.shared.add(
      "\(version) | random kill after \(delay / 1000) ms (exit \(outcome.status)) | \(state) | production \(production.version) | serving \(served ?? "-")"
    )
  }

  /// v1.0.0 in production with the user's notes as they were, and `version` approved.
  func productionApproving(_ version: String) throws -> (ScratchDirectory, HomePaths, String) {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    do {
      try SampleApp.putInProduction(paths, "v1.0.0")
      let before = TestHome.read(paths.shared + "/data/notes.json")
      try SampleApp.approve(paths, version)
      return (scratch, paths, before)
    } catch {
      SampleApp.stopService(paths)
      throw error
    }
  }

  /// Six seeded kills alternating a healthy and a failing release on every run;
  /// `A0_RANDOM_KILLS=N` asks for N (a longer soak).
  static func randomKillCases() -> [(UInt64, String)] {
    let count = ProcessInfo.processInfo.environment["A0_RANDOM_KILLS"].flatMap { Int($0) } ?? 6
    return (0..<max(count, 1)).map { (UInt64($0 + 1), $0 % 2 == 0 ? "v1.1.0" : "v1.3.0") }
  }

  @Test("fault points are compiled into test builds and only there")
  func debugOnly() throws {
    #expect(FaultPoint.isCompiledIn)
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.write(paths.state, "{")
    let killed = try A0Binary.run(
      ["status", "--home", paths.root], environment: ["A0_FAULT": "transition-FAILED_HARD.before-journal"])
    #expect(killed.status == 128 + SIGKILL)
    let error = try A0Binary.run(
      ["status", "--home", paths.root, "--json"],
      environment: ["A0_FAULT": "transition-FAILED_HARD.before-journal:error"])
    #expect(error.status == 1)
    #expect(
      try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]?["current_state"]
        == "FAILED_HARD")
  }
}
