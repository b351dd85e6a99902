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

  @Test(
    "whether the lock is held is read from /proc/locks, without taking it; a lock on another file does not count"
  )
  func held() throws {
    let scratch = ScratchDirectory()
    let path = scratch.path + "/lock"
    let other = try HomeLock.acquire(
      path: scratch.path + "/other", command: "a0 other", waitSeconds: 0, clock: SystemClock())
    defer { other.release() }
    #expect(!HomeLock.isHeld(path: path), "no file yet")
    let lock = try HomeLock.acquire(path: path, command: "a0 holder", waitSeconds: 0, clock: SystemClock())
    #expect(HomeLock.isHeld(path: path))
    #expect(HomeLock.isHeld(path: path), "asking took nothing")
    lock.release()
    #expect(!HomeLock.isHeld(path: path))
    #expect(HomeLock.tryAcquire(path: path, command: "a0 next") != nil)
  }

  @Test("the lock file names every running child group: the one waited for and those in the background")
  func childGroups() throws {
    let scratch = ScratchDirectory()
    let path = scratch.path + "/lock"
    let lock = try HomeLock.acquire(
      path: path, command: "a0 begin-staging", waitSeconds: 0, clock: SystemClock())
    defer { lock.release() }
    let record = ChildGroupRecord(lock: lock, command: "a0 begin-staging")
    #expect(HomeLock.recordedChildren(path: path).isEmpty)
    record.addBackground(4101)
    record.setWaitedFor(4202)
    #expect(Set(HomeLock.recordedChildren(path: path)) == [4101, 4202])
    record.setWaitedFor(nil)
    #expect(HomeLock.recordedChildren(path: path) == [4101])
    record.removeBackground(4101)
    #expect(HomeLock.recordedChildren(path: path).isEmpty)
    #expect(HomeLock.holderDescription(path: path).contains("a0 begin-staging"))
  }
}
