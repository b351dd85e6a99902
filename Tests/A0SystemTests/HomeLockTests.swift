import A0Core
import A0System
import A0TestSupport
import Testing

@Suite("Home lock")
struct HomeLockTests {
  @Test("a second holder is refused as busy, naming the first")
  func busy() throws {
    let scratch = ScratchDirectory()
    let path = scratch.path + "/lock"
    let first = try HomeLock.acquire(path: path, command: "a0 first", waitSeconds: 0, clock: SystemClock())
    // flock locks belong to the open file description, so a second open in
    // the same process contends exactly like another process would.
    do {
      _ = try HomeLock.acquire(path: path, command: "a0 second", waitSeconds: 0.2, clock: SystemClock())
      Issue.record("acquired twice")
    } catch {
      #expect(error.kind == .busy)
      #expect(error.message.contains("a0 first"))
    }
    #expect(HomeLock.tryAcquire(path: path, command: "a0 third") == nil)
    first.release()
    #expect(HomeLock.tryAcquire(path: path, command: "a0 fourth") != nil)
  }
}
