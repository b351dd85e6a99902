import A0Core
import A0System

/// The steps of an operation as they happen, told to whoever watches
/// (the terminal, a log): the one way the lifecycle reports progress. A
/// step that begins ends the one before it. Used by the one thread that
/// runs the operation (a child's output arrives on it too), hence unchecked.
public final class ProgressReporter: @unchecked Sendable {
  public typealias Observer = (ProgressEvent) -> Void

  private let observers: [Observer]
  private var current: (step: String, startedAt: Int64)?
  private var lastDoing: Int64 = 0

  public init(_ observers: [Observer] = []) { self.observers = observers }

  /// Reports nothing: tests, and the front ends no person watches.
  public static var silent: ProgressReporter { ProgressReporter() }

  /// Begins `step`, ending the running one as passed.
  public func begin(_ step: String, _ detail: String = "") {
    end()
    current = (step, monotonicMilliseconds())
    tell(.began(step: step, detail: detail))
  }

  /// What the running step does now (a probe's answer, an installer's
  /// line); at most ten a second, however fast a child prints.
  public func doing(_ detail: String) {
    let now = monotonicMilliseconds()
    guard let current, now - lastDoing >= 100 else { return }
    lastDoing = now
    tell(.doing(step: current.step, detail: detail))
  }

  /// Ends the running step, if any.
  public func end(_ outcome: StepOutcome = .ok, _ detail: String = "") {
    guard let running = current else { return }
    current = nil
    tell(
      .ended(
        step: running.step, outcome: outcome, milliseconds: monotonicMilliseconds() - running.startedAt,
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

  private func tell(_ event: ProgressEvent) {
    for observer in observers { observer(event) }
  }
}
