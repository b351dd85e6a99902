import A0Core
import A0Lifecycle
import A0System
import Foundation

/// A runner that runs each command for real and records it, so a test can
/// list every external command an operation ran.
public final class RecordingRunner: CommandRunning, @unchecked Sendable {
  private let lock = NSLock()
  private var recorded: [CommandLineSpec] = []

  public init() {}

  /// The world a0 lives in, with every runner it makes recorded here.
  public func world(clock: any Clock = SystemClock()) -> World {
    World(clock: clock, commands: { runner in Recorded(inner: runner, recorder: self) })
  }

  public var commands: [CommandLineSpec] { lock.withLock { recorded } }

  public func run(_ command: CommandLineSpec) throws(A0Error) -> ProcessResult {
    throw A0Error(.operationFailed, "a recorder runs nothing of its own")
  }

  fileprivate func record(_ command: CommandLineSpec) { lock.withLock { recorded.append(command) } }

  struct Recorded: CommandRunning {
    let inner: any CommandRunning
    let recorder: RecordingRunner

    func run(_ command: CommandLineSpec) throws(A0Error) -> ProcessResult {
      recorder.record(command)
      return try inner.run(command)
    }
  }

  /// A command as a reader names it: the tool and what it was asked to do,
  /// without paths, options or program text (`git clone`, `pip install
  /// requirements.txt`, `python program`).
  public static func summary(_ spec: CommandLineSpec) -> String {
    let tool = FileIO.baseName(of: spec.arguments.first ?? "")
    var rest = Array(spec.arguments.dropFirst())
    switch tool {
    case "git":
      while let first = rest.first, first == "-c" || first == "-C" { rest.removeFirst(min(2, rest.count)) }
      return "git " + (rest.first ?? "")
    case "uv":
      return "uv " + rest.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
    case _ where tool.hasPrefix("python"):
      if let module = rest.firstIndex(of: "-m") {
        let words = rest[(module + 1)...].prefix { !$0.hasPrefix("-") }.prefix(2)
        let files = zip(rest, rest.dropFirst()).filter { $0.0 == "-r" }.map { FileIO.baseName(of: $0.1) }
        return (["python -m"] + words + files).joined(separator: " ")
      }
      return rest.contains("-c") ? "python program" : "python " + (rest.first ?? "")
    default:
      return tool
    }
  }
}

/// An HTTP client for a server that never answers.
public struct UnansweredHTTP: HTTPFetching {
  public init() {}

  public func get(_ url: String, headers: [String: String], timeoutSeconds: Double) throws(A0Error)
    -> HTTPResponse
  {
    throw A0Error(.upstreamUnreachable, "connection refused", why: url)
  }
}
