import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Synchronization
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("Progress reporter")
struct ProgressReporterTests {
  final class Recorder: Sendable {
    let events = Mutex<[ProgressEvent]>([])
    var all: [ProgressEvent] { events.withLock { $0 } }
    var observer: ProgressReporter.Observer { { event in self.events.withLock { $0.append(event) } } }
  }

  @Test(
    "a step begun ends the one before; a thrown step ends failed with the error; doing is told of the running step only"
  )
  func steps() throws {
    let recorder = Recorder()
    let progress = ProgressReporter([recorder.observer])
    progress.doing("before any step: dropped")
    progress.begin("clone", "v1 from here")
    progress.doing("cloning")
    progress.begin("check")
    #expect(throws: A0Error.self) {
      try progress.step("hash") { () throws(A0Error) in throw A0Error(.operationFailed, "disk gone") }
    }
    let names = recorder.all.map { event -> String in
      switch event {
      case .began(let step, _): "began \(step)"
      case .doing(let step, let detail): "doing \(step): \(detail)"
      case .ended(let step, let outcome, _, let detail): "ended \(step) \(outcome.rawValue) \(detail)"
      }
    }
    #expect(
      names == [
        "began clone", "doing clone: cloning", "ended clone ok ", "began check", "ended check ok ",
        "began hash",
        "ended hash failed disk gone",
      ])
  }

  @Test("a watch tells what the step does from another thread until it is stopped")
  func watch() throws {
    let recorder = Recorder()
    let progress = ProgressReporter([recorder.observer])
    let counter = Mutex(0)
    progress.begin("hash")
    let watch = progress.watch {
      counter.withLock {
        $0 += 1
        return "\($0) files"
      }
    }
    func told() -> [ProgressEvent] { recorder.all.filter { if case .doing = $0 { true } else { false } } }
    // Ticks a loaded machine delays may come together: the reporter keeps one in a tenth of a second.
    for _ in 0..<400 where told().count < 2 { usleep(50_000) }
    watch.cancel()
    usleep(300_000)
    let stopped = told().count
    usleep(700_000)
    #expect(stopped >= 2 && told().count == stopped, "nothing is told once the watch stops: \(told())")
    #expect(stopped <= counter.withLock { $0 })
    #expect(told().first == .doing(step: "hash", detail: "1 files"))
  }
}

@Suite("Progress file")
struct ProgressFileTests {
  @Test(
    "each command's file names it and carries how the one before ended, so a follower that missed it still knows"
  )
  func previousEnding() throws {
    let scratch = ScratchDirectory()
    let path = scratch.path + "/progress.jsonl"
    let first = ProgressFile(path: path, command: "a0 upgrade", clock: SystemClock())
    let started = try #require(ProgressLog.read(path))
    #expect(started.command == "a0 upgrade" && started.finished == nil && started.writerRuns)
    first.record(.began(step: "clone", detail: "v1"))
    first.finish(exitCode: 6, message: "no approval")
    let firstID = try #require(ProgressLog.read(path)).id
    let second = ProgressFile(path: path, command: "a0 status", clock: SystemClock())
    let replaced = try #require(ProgressLog.read(path))
    #expect(replaced.id != firstID && replaced.pid == started.pid, "one process, two commands")
    #expect(replaced.previous?.id == firstID)
    #expect(replaced.previous?.ending.exitCode == 6 && replaced.previous?.ending.message == "no approval")
    #expect(replaced.events.isEmpty)
    second.finish(exitCode: 0, message: nil)
  }
}
