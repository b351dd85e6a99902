import A0Core
import A0System

/// Everything the lifecycle reaches outside this process through — time,
/// HTTP, external commands — in one value, so a test can replace any of it:
/// a clock past an approval's expiry, a health endpoint that never
/// answers, a runner that records every command it is given.
public struct World: Sendable {
  public var clock: any Clock
  /// The HTTP client over a runner of this home (curl, by default).
  public var http: @Sendable (any CommandRunning) -> any HTTPFetching
  /// Turns each runner the lifecycle makes into the one it uses: itself,
  /// unless a test wraps or replaces it.
  public var commands: @Sendable (ProcessRunner) -> any CommandRunning
  /// A zone's UTC offsets, by the name config.toml gives it.
  public var timeZone: @Sendable (String) -> @Sendable (Timestamp) -> Int

  public init(
    clock: any Clock = SystemClock(),
    timeZone: @escaping @Sendable (String) -> @Sendable (Timestamp) -> Int = TimeZones.offsets,
    http: @escaping @Sendable (any CommandRunning) -> any HTTPFetching = { HTTPClient(runner: $0) },
    commands: @escaping @Sendable (ProcessRunner) -> any CommandRunning = { $0 }
  ) {
    self.clock = clock
    self.http = http
    self.commands = commands
    self.timeZone = timeZone
  }

  /// A runner for children given `tools`, before any home is open.
  public func runner(tools: ChildEnvironment) -> any CommandRunning {
    commands(ProcessRunner(environment: tools))
  }

  /// The real one.
  public static var system: World { World() }
}
