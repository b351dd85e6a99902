import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Polls a health endpoint: healthy means HTTP 200 (naming the expected
/// version, when `[service] health_version` asks for it), answered within
/// each probe's timeout, continuously for `stableSeconds`.
public struct HealthProbe {
  public struct Outcome: Sendable {
    public var healthy: Bool
    public var detail: String
    public var attempts: Int
    public var lastStatus: Int?
    public var lastBody: String
  }

  let http: any HTTPFetching
  /// Told each probe's answer, and how long it has been healthy, as it lands.
  let report: (String) -> Void

  public init(http: any HTTPFetching, report: @escaping (String) -> Void = { _ in }) {
    self.http = http
    self.report = report
  }

  /// `stillRunning` lets the caller stop early when the server it started
  /// has died: waiting for a dead process helps nobody. It is asked after
  /// each probe that did not pass.
  public func waitUntilHealthy(
    url: String, timeoutSeconds: Double, intervalSeconds: Double, stableSeconds: Double,
    expecting expected: (check: HealthVersion, version: String)? = nil,
    stillRunning: () -> Bool = { true }
  ) -> Outcome {
    let deadline = monotonicMilliseconds() + Int64(timeoutSeconds * 1000)
    var healthySince: Int64?
    var attempts = 0
    var lastStatus: Int?
    var lastBody = ""
    var detail = "no answer yet"
    var quickPause = 0.025
    while true {
      attempts += 1
      let now = monotonicMilliseconds()
      let perProbe = max(0.2, min(5, Double(deadline - now) / 1000))
      do {
        let response = try http.get(url, headers: [:], timeoutSeconds: perProbe)
        lastStatus = response.status
        lastBody = String(response.bodyText.prefix(500))
        if response.status == 200,
          let mismatch = expected.flatMap({ $0.check.mismatch(body: response.body, version: $0.version) })
        {
          healthySince = nil
          detail = "HTTP 200, but \(mismatch)"
        } else if response.status == 200 {
          healthySince = healthySince ?? monotonicMilliseconds()
          detail = "HTTP 200"
        } else {
          healthySince = nil
          detail = "HTTP \(response.status)"
        }
      } catch {
        healthySince = nil
        detail = error.why ?? error.what
      }
      report(
        healthySince.map {
          "\(detail), healthy for \(ProgressText.seconds(monotonicMilliseconds() - $0)) of \(Int(stableSeconds)) s"
        }
          ?? "\(detail) (probe \(attempts))")
      if let since = healthySince, monotonicMilliseconds() - since >= Int64(stableSeconds * 1000) {
        return Outcome(
          healthy: true, detail: detail, attempts: attempts, lastStatus: lastStatus, lastBody: lastBody)
      }
      if Interrupts.pending != nil {
        return Outcome(
          healthy: false, detail: "interrupted", attempts: attempts, lastStatus: lastStatus,
          lastBody: lastBody)
      }
      if healthySince == nil, !stillRunning() {
        return Outcome(
          healthy: false, detail: "the process exited (\(detail))", attempts: attempts,
          lastStatus: lastStatus,
          lastBody: lastBody)
      }
      if monotonicMilliseconds() >= deadline {
        return Outcome(
          healthy: false, detail: "not healthy within \(Int(timeoutSeconds)) s (\(detail))",
          attempts: attempts,
          lastStatus: lastStatus, lastBody: lastBody)
      }
      // A service that is back quickly is seen quickly: the pause grows from
      // 50 ms to the configured interval, so a rollback waits on the app,
      // not on the probe.
      quickPause = min(quickPause * 2, intervalSeconds)
      let pause = healthySince != nil ? min(intervalSeconds, stableSeconds / 4 + 0.05) : quickPause
      usleep(useconds_t(max(0.05, min(pause, Double(deadline - monotonicMilliseconds()) / 1000)) * 1_000_000))
    }
  }
}
