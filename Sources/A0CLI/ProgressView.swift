import A0Core
import A0Lifecycle
import A0System
import Dispatch

/// A command's progress on stderr, from the lifecycle's step events: live
/// on a terminal (one line redrawn in place, finished steps left as a line
/// each), one plain line per step start and end otherwise, or nothing.
final class ProgressView: @unchecked Sendable {
  enum Style: Equatable {
    /// A terminal: the running step redrawn ten times a second.
    case live
    /// A log or systemd's journal: no control sequences, no redraws.
    case lines
    case silent
  }

  let style: Style
  private let columns: @Sendable () -> Int?
  private let output = FileHandleOutput.standardError
  /// Everything below is touched only on this queue: the redraw timer
  /// fires on it, and events arrive through it.
  private let queue = DispatchQueue(label: "a0.progress")
  private var timer: (any DispatchSourceTimer)?
  private var running: (step: String, detail: String, startedAt: Int64)?
  private var tick = 0
  /// The live line on the terminal now: its width, and the terminal's when it was drawn.
  private var lineShown: (width: Int, columns: Int)?
  /// Where the steps are also written for `--follow`, once a home is open.
  private var file: ProgressFile?

  init(style: Style, columns: @escaping @Sendable () -> Int?) {
    self.style = style
    self.columns = columns
  }

  /// A reporter whose events this view shows and the progress file keeps.
  var reporter: ProgressReporter {
    ProgressReporter([{ event in self.queue.sync { self.show(event) } }])
  }

  /// Writes the steps to `file` too (started already: every command that
  /// takes the lock leaves its end there, steps or not).
  func record(to file: ProgressFile) { queue.sync { self.file = file } }

  /// The command's end, for a follower: its exit code and error.
  func finish(exitCode: Int32, message: String?) {
    close()
    queue.sync { file?.finish(exitCode: exitCode, message: message) }
  }

  /// Shows an event another process recorded `elapsed` milliseconds ago (`--follow`).
  func replay(_ event: ProgressEvent, elapsed: Int64) {
    queue.sync {
      show(event)
      if case .began = event { running?.startedAt -= max(0, elapsed) }
      draw()
    }
  }

  /// Clears the live line, before the command prints its result.
  func close() {
    guard style == .live else { return }
    queue.sync {
      timer?.cancel()
      timer = nil
      clearLine()
    }
  }

  private func show(_ event: ProgressEvent) {
    file?.record(event)
    switch (style, event) {
    case (.silent, _), (.lines, .doing): return
    case (.lines, .began(let step, let detail)):
      output.writeWithoutWaiting(ProgressText.started(step, detail: detail) + "\n")
    case (.lines, .ended(let step, let outcome, let milliseconds, let detail)):
      output.writeWithoutWaiting(
        "a0: " + ProgressText.finished(step, outcome, milliseconds: milliseconds, detail: detail) + "\n")
    case (.live, .began(let step, let detail)):
      running = (step, detail, monotonicMilliseconds())
      startTimer()
      draw()
    case (.live, .doing(let step, let detail)):
      // A watch's last tick may come after its step has ended.
      guard running?.step == step else { return }
      running?.detail = detail
      draw()
    case (.live, .ended(let step, let outcome, let milliseconds, let detail)):
      running = nil
      clearLine()
      let line = ProgressText.finished(
        step, outcome, milliseconds: milliseconds, detail: detail, columns: columns() ?? 80)
      output.writeWithoutWaiting(line + "\n")
    }
  }

  private func startTimer() {
    guard timer == nil else { return }
    let source = DispatchSource.makeTimerSource(queue: queue)
    source.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
    source.setEventHandler { [self] in
      tick += 1
      draw()
    }
    source.resume()
    timer = source
  }

  /// The running step's line, over the one drawn before, cut to the
  /// terminal's width now.
  private func draw() {
    guard let running else { return }
    let columnsNow = columns() ?? 80
    let line = ProgressText.live(
      running.step, milliseconds: monotonicMilliseconds() - running.startedAt, detail: running.detail,
      tick: tick, columns: columnsNow)
    output.writeWithoutWaiting(startOfLine(columnsNow) + line + "\u{1B}[K")
    lineShown = (ProgressText.width(line), columnsNow)
  }

  private func clearLine() {
    guard lineShown != nil else { return }
    output.writeWithoutWaiting(startOfLine(columns() ?? 80) + "\u{1B}[K")
    lineShown = nil
  }

  /// Back to the first column of the live line. A terminal made narrower
  /// since it was drawn has wrapped it onto more rows (terminals reflow
  /// on resize): go up to its first row and clear below, so no piece of
  /// it is left behind.
  private func startOfLine(_ columnsNow: Int) -> String {
    guard let (width, drawnAt) = lineShown, columnsNow < drawnAt, columnsNow > 0 else { return "\r" }
    let rows = (width + columnsNow - 1) / columnsNow
    return rows > 1 ? "\u{1B}[\(rows - 1)A\r\u{1B}[J" : "\r"
  }
}
