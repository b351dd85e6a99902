import A0Core
import A0System
import Dispatch
import Synchronization

/// The steps of an operation as they happen, told to whoever watches
/// (the terminal, a log, the progress file): the one way the lifecycle
/// reports progress. A step that begins ends the one before it. Safe to
/// use from any thread: a child's output and a hash's counts arrive on others.
public final class ProgressReporter: Sendable {
  public typealias Observer = @Sendable (ProgressEvent) -> Void

  private struct Running {
    var step: String
    var startedAt: Int64
    var lastDoing: Int64 = 0
  }

  private let observers: [Observer]
  private let running = Mutex<Running?>(nil)

  public init(_ observers: [Observer] = []) { self.observers = observers }

  /// Reports nothing: tests, and the front ends no person watches.
  public static var silent: ProgressReporter { ProgressReporter() }

  /// Begins `step`, ending the running one as passed.
  public func begin(_ step: String, _ detail: String = "") {
    end()
    running.withLock { $0 = Running(step: step, startedAt: monotonicMilliseconds()) }
    tell(.began(step: step, detail: detail))
  }

  /// What the running step does now (a probe's answer, an installer's
  /// line, a count); at most ten a second, however fast they come.
  public func doing(_ detail: String) {
    let now = monotonicMilliseconds()
    let step = running.withLock { current -> String? in
      guard let step = current?.step, let last = current?.lastDoing, now - last >= 100 else { return nil }
      current?.lastDoing = now
      return step
    }
    if let step { tell(.doing(step: step, detail: detail)) }
  }

  /// Ends the running step, if any.
  public func end(_ outcome: StepOutcome = .ok, _ detail: String = "") {
    guard
      let ended = running.withLock({ current -> Running? in
        defer { current = nil }; return current
      })
    else {
      return
    }
    tell(
      .ended(
        step: ended.step, outcome: outcome, milliseconds: monotonicMilliseconds() - ended.startedAt,
        detail: detail))
  }

  /// Runs `body` as the step `name`: ended ok when it returns, failed with
  /// the error's message when it throws.
  public func step<Result>(_ name: String, _ detail: String = "", _ body: () throws(A0Error) -> Result)
    throws(A0Error) -> Result
  {
    begin(name, detail)
    do {
      let result = try body()
      end()
      return result
    } catch {
      end(.failed, error.message)
      throw error
    }
  }

  /// Tells `detail()` as what the running step does, four times a second,
  /// until the returned watch is stopped: for work that reports no lines
  /// of its own (a tree being hashed).
  public func watch(_ detail: @escaping @Sendable () -> String) -> any DispatchSourceTimer {
    let timer = DispatchSource.makeTimerSource(queue: .global())
    timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
    timer.setEventHandler { [self] in doing(detail()) }
    timer.resume()
    return timer
  }

  private func tell(_ event: ProgressEvent) {
    for observer in observers { observer(event) }
  }
}
