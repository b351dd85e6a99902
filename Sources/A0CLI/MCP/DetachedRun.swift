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
    _ machine: Machine, words: [String], arguments: [String], client: String?
  ) throws(A0Error) -> DetachedRun {
    guard let binary = FileIO.readLink("/proc/self/exe") else {
      throw A0Error(.operationFailed, "cannot find the a0 binary (/proc/self/exe)")
    }
    try FileIO.makeDirectory(machine.paths.scratch)
    let logPath = machine.paths.scratch + "/detached-\(getpid())-\(monotonicMilliseconds()).log"
    // Its options right after the command's words: `arguments` may end in `-- VALUE`.
    let options = ["--json"] + (client.map { ["--via-mcp=\($0)"] } ?? [])
    // `--home=ROOT` after the words, not the pinned form: a pinned home may
    // not contain whitespace, and this one was resolved already.
    let spec = CommandLineSpec(
      [binary] + words + ["--home=\(machine.paths.root)"] + options + arguments, timeoutSeconds: 0)
    let process = try BackgroundProcess(spec, in: machine.children, logPath: logPath)
    return DetachedRun(process: process, logPath: logPath)
  }

  /// `--detach`: runs this command line again without it, detached, and
  /// says how to follow it.
  static func detach(_ operation: any Operation.Type, context: CommandContext) throws(A0Error)
    -> DetachedOutput
  {
    let words = operation.operationName.split(separator: " ").map(String.init)
    // The command's words come first (only a pinned `--home` may precede them).
    var arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "--home" { arguments.removeFirst(min(2, arguments.count)) }
    if arguments.first?.hasPrefix("--home=") == true { arguments.removeFirst() }
    guard arguments.starts(with: words) else {
      throw A0Error(.usage, "--detach could not read this command line", next: "Run it without --detach")
    }
    arguments.removeFirst(words.count)
    // The home is named once, first, as the detached a0 must use this one.
    var index = 0
    while index < arguments.count {
      if arguments[index] == "--" { break }
      if ["--detach", "--json"].contains(arguments[index]) || arguments[index].hasPrefix("--home=") {
        arguments.remove(at: index)
      } else if arguments[index] == "--home" {
        arguments.removeSubrange(index..<min(arguments.count, index + 2))
      } else {
        index += 1
      }
    }
    let machine = try context.openForReading(operation.operationName)
    let run = try start(machine, words: words, arguments: arguments, client: nil)
    // Back once the detached a0 has begun its first step, so that an
    // `a0 status --follow` right after finds it running; one refused
    // before that (no approval, a closed window) is this command's answer.
    for _ in 0..<200 {
      if run.process.waitForExit(deadline: monotonicMilliseconds() + 50) != nil {
        if let refusal = run.failure() { throw refusal }
        break
      }
      if let log = ProgressLog.read(machine.paths.progress), log.pid == run.process.pid, !log.events.isEmpty {
        break
      }
    }
    run.process.release()
    return DetachedOutput(pid: run.process.pid, log: run.logPath, command: words.joined(separator: " "))
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

  /// The operation's error, once it has ended with one.
  func failure() -> A0Error? {
    let ended = envelope()
    guard ended["status"] == "error", let error = ended["error"] else { return nil }
    let kind = error["code"]?.stringValue.flatMap(ErrorKind.init(rawValue:)) ?? .operationFailed
    return A0Error(
      kind, error["what"]?.stringValue ?? error["message"]?.stringValue ?? "the operation failed",
      why: error["why"]?.stringValue, next: error["next"]?.stringValue)
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

/// What `--detach` says: the detached a0 and where its output goes.
struct DetachedOutput: CommandOutput {
  let pid: Int32
  let log: String
  let command: String

  var json: JSONValue {
    ["status": "running", "pid": .int(Int(pid)), "log": .string(log), "poll": "status"]
  }

  var text: String {
    "Started `a0 \(command)` in the background (pid \(pid), output in \(log)).\n"
      + "Watch its steps with `a0 status --follow`, which ends with its exit code."
  }
}
