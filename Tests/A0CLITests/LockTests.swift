import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Lock and concurrency")
struct LockTests {
  @Test(
    "eight humans clearing the same failure at once: one effect, one journal entry, the rest busy or no-op")
  func eightAtOnce() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .failed)
    let before = try TestHome.journalEvents(paths).count
    let processes = try (0..<8).map { _ in
      try A0Binary.startAtTerminal(["clear-failure", "--home", paths.root], typed: "clear-failure\n")
    }
    let results = processes.map { $0.wait() }
    let statuses = results.map(\.status)
    #expect(statuses.allSatisfy { $0 == 0 || $0 == 4 }, "\(statuses)")
    #expect(statuses.contains(0))
    let events = try TestHome.journalEvents(paths)
    #expect(events.count == before + 1)
    #expect(events.last?.details["reason_code"] == "human_cleared_failure")
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
    let busy = results.filter { $0.status == 4 }
    #expect(busy.allSatisfy { $0.stdout.contains("pid") }, "busy messages name the holder")
  }

  @Test("eight readers meeting a corrupt state at once: exactly one repair, everyone sees FAILED_HARD")
  func readersRepairOnce() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.write(paths.state, "{ torn")
    let processes = try (0..<8).map { _ in try A0Binary.start(["status", "--home", paths.root, "--json"]) }
    let results = processes.map { $0.wait() }
    let repaired = try TestHome.journalEvents(paths).filter { $0.details["reason_code"] == "state_corrupted" }
    #expect(repaired.count == 1)
    let kept = try FileIO.listDirectory(paths.billy).filter { $0.hasPrefix("state.json.corrupt-") }
    #expect(kept.count == 1)
    for result in results where result.status == 0 {
      #expect(result.json?["data"]?["current_state"] == "FAILED_HARD")
    }
    #expect(results.allSatisfy { $0.status == 0 || $0.status == 4 })
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test("a held lock makes mutators busy (exit 4, naming the holder) and leaves readers alone")
  func busy() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .failed)
    let holder = try HomeLock.acquire(
      path: paths.lock, command: "a0 begin-staging v9.9", waitSeconds: 0, clock: SystemClock())
    let mutator = try A0Binary.run(["clear-failure", "--home", paths.root, "--json"])
    #expect(mutator.status == 4)
    #expect(mutator.json?["error"]?["code"] == "busy")
    #expect(mutator.json?["error"]?["message"]?.stringValue?.contains("a0 begin-staging v9.9") == true)
    let started = Date()
    let waited = try A0Binary.run(["clear-failure", "--home", paths.root, "--json", "--wait", "1"])
    #expect(waited.status == 4)
    #expect(Date().timeIntervalSince(started) >= 0.9)
    let reader = try A0Binary.run(["status", "--home", paths.root, "--json"])
    #expect(reader.status == 0)
    #expect(reader.json?["data"]?["current_state"] == "FAILED")
    holder.release()
  }

  @Test("a killed holder never leaves a stale lock")
  func killedHolder() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .complete)
    // The prompt keeps a0 waiting while it holds the lock; then kill it.
    let process = try A0Binary.startAtTerminal(["confirm", "--home", paths.root], typed: "")
    var tries = 0
    while HomeLock.tryAcquire(path: paths.lock, command: "probe") != nil && tries < 100 {
      usleep(50_000)
      tries += 1
    }
    kill(process.pid, SIGKILL)
    _ = process.wait()
    var acquired: HomeLock?
    for _ in 0..<100 where acquired == nil {
      acquired = HomeLock.tryAcquire(path: paths.lock, command: "after")
      if acquired == nil { usleep(50_000) }
    }
    #expect(acquired != nil)
  }
}
