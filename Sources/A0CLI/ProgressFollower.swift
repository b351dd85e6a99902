import A0Core
import A0Lifecycle
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// `--follow`: shows the steps another a0 is taking, read from the progress
/// file it writes, until its command ends. Never takes the lock, so the
/// command followed is never slowed or blocked by it.
struct ProgressFollower {
  let paths: HomePaths
  let view: ProgressView
  let clock: any Clock

  /// How the followed command ended.
  enum Ending {
    /// No command was running.
    case nothingRunning
    case ended(command: String, exitCode: Int32, message: String?)
    /// Its process is gone without saying how it ended (killed, or the host
    /// lost power); recovery decides what comes of it.
    case vanished(command: String, pid: Int32)
  }

  func follow() -> Ending {
    guard var log = awaitRunningCommand() else { return .nothingRunning }
    var shown = 0
    while true {
      let now = clock.now().millisecondsSinceEpoch
      for (event, at) in log.events.dropFirst(shown) {
        view.replay(event, elapsed: now - at.millisecondsSinceEpoch)
      }
      shown = log.events.count
      if let finished = log.finished { return ended(log, finished) }
      if !log.writerRuns {
        // It may have finished between the two reads.
        if let last = ProgressLog.read(paths.progress), last.id == log.id, last.finished != nil {
          log = last
          continue
        }
        view.close()
        return .vanished(command: log.command, pid: log.pid)
      }
      usleep(100_000)
      guard let next = ProgressLog.read(paths.progress), next.id == log.id else {
        // The next command has started; its file says how this one ended.
        if let next = ProgressLog.read(paths.progress), let previous = next.previous, previous.id == log.id {
          return ended(log, previous.ending)
        }
        view.close()
        return .vanished(command: log.command, pid: log.pid)
      }
      log = next
    }
  }

  private func ended(_ log: ProgressLog, _ ending: ProgressLog.Ending) -> Ending {
    view.close()
    return .ended(command: log.command, exitCode: ending.exitCode, message: ending.message)
  }

  /// The progress of the command running now: one that has written its
  /// file, or the lock's holder until it writes one; nil when none runs.
  func awaitRunningCommand() -> ProgressLog? {
    while true {
      let log = ProgressLog.read(paths.progress)
      if let log, log.finished == nil, log.writerRuns { return log }
      // A command that has the lock and has not written its file yet.
      guard let holder = HomeLock.recordedHolder(path: paths.lock), holder != getpid(),
        HomeLock.isHeld(path: paths.lock, by: holder)
      else { return nil }
      usleep(100_000)
    }
  }
}

extension ProgressFollower.Ending {
  /// Nil when the followed command succeeded (or none ran); else the error
  /// `--follow` ends with, under the followed command's exit code.
  func error(state: StateRecord, recovery: [String]) -> A0Error? {
    switch self {
    case .nothingRunning, .ended(_, 0, _): return nil
    case .ended(let command, let exitCode, let message):
      let kind = ErrorKind.allCases.first { $0.exitCode == exitCode } ?? .operationFailed
      return A0Error(
        kind, "`\(ProgressText.clean(command))` failed", why: message.map(ProgressText.clean),
        next: "See `a0 status` and `a0 explain-state`")
    case .vanished(let command, let pid):
      return A0Error(
        .operationFailed, "`\(ProgressText.clean(command))` (pid \(pid)) ended before it finished",
        why: "now \(state.currentState.rawValue)"
          + (recovery.isEmpty ? "" : "; recovery: " + recovery.joined(separator: "; ")),
        next: "See `a0 explain-state`")
    }
  }
}

extension CommandContext {
  /// `--follow`: shows the running command's steps until it ends, then
  /// throws its error, under its exit code, if it failed. A command that
  /// vanished is recovered first, as any reader of the home would.
  func followRunningCommand(_ command: String) throws(A0Error) {
    let ending = ProgressFollower(paths: try paths(), view: progressView, clock: clock).follow()
    if case .nothingRunning = ending { return }
    let machine = try openForReading(command)
    if let error = ending.error(state: machine.state, recovery: machine.recoveryNotes) { throw error }
  }
}
