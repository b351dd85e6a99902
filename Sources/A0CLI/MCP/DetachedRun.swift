import A0Core
import A0Lifecycle
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// A long operation started for an MCP call: the a0 binary itself, run as
/// its own process group with its output in a log under `.billy/tmp/`, so
/// that it holds the lock and finishes (or is recovered) whether or not
/// the client waits for it.
struct DetachedRun {
  let process: BackgroundProcess
  let logPath: String

  static func start(
    _ machine: Machine, words: [String], arguments: [String], client: String
  ) throws(A0Error) -> DetachedRun {
    guard let binary = FileIO.readLink("/proc/self/exe") else {
      throw A0Error(.operationFailed, "cannot find the a0 binary (/proc/self/exe)")
    }
    try FileIO.makeDirectory(machine.paths.scratch)
    let logPath =
      machine.paths.scratch
      + "/mcp-\(words.joined(separator: "-"))-\(getpid())-\(monotonicMilliseconds()).log"
    let spec = CommandLineSpec(
      [binary, "--home", machine.paths.root] + words + ["--json", "--via-mcp=\(client)"] + arguments,
      timeoutSeconds: 0)
    let process = try BackgroundProcess(spec, in: machine.children, logPath: logPath)
    return DetachedRun(process: process, logPath: logPath)
  }

  /// The operation's `--json` envelope once it ends, or nil if it still
  /// runs after `seconds` (it then goes on by itself).
  func wait(seconds: Int) -> JSONValue? {
    guard process.waitForExit(deadline: monotonicMilliseconds() + Int64(seconds) * 1000) != nil else {
      process.release()
      return nil
    }
    return envelope()
  }

  /// The last JSON line of the log: the operation's envelope.
  private func envelope() -> JSONValue {
    let text = ((try? FileIO.read(logPath)).flatMap { $0 }).map { String(decoding: $0, as: UTF8.self) } ?? ""
    try? FileIO.removeTree(logPath)
    for line in text.split(separator: "\n").reversed() where line.hasPrefix("{") {
      if let parsed = try? JSONValue.parse(String(line)) { return parsed }
    }
    return [
      "status": "error",
      "error": [
        "code": "operation_failed", "exit_code": 1, "what": "the operation ended without a result",
        "message": .string("the operation ended without a result: \(text.suffix(500))"),
      ],
    ]
  }
}
