import A0Core
import A0System
import Foundation

/// Runs the built `a0` executable as a user would.
public enum A0Binary {
  /// The `a0` beside the test bundle (SwiftPM builds every product before testing).
  public static var path: String {
    let executable = FileIO.readLink("/proc/self/exe") ?? CommandLine.arguments[0]
    var directory = FileIO.parent(of: executable)
    for _ in 0..<3 {
      if FileManager.default.isExecutableFile(atPath: directory + "/a0") { return directory + "/a0" }
      directory = FileIO.parent(of: directory)
    }
    return FileIO.parent(of: executable) + "/a0"
  }

  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// The JSON document on stdout.
    public var json: JSONValue? {
      try? JSONValue.parse(stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  /// Runs a0 with `arguments`, stdin from a pipe (so: not a terminal).
  public static func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:])
    throws
    -> Result
  {
    try runProgram(path, arguments, stdin: stdin, environment: environment)
  }

  /// Runs a0 inside a pseudo-terminal (`script`), typing `typed` at it.
  public static func runAtTerminal(_ arguments: [String], typed: String) throws -> Result {
    let command = ([path] + arguments).map(shellQuote).joined(separator: " ")
    return try runProgram("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: typed, environment: [:])
  }

  /// Starts a0 without waiting for it.
  public static func start(_ arguments: [String], stdin: String = "") throws -> RunningProcess {
    try RunningProcess(path, arguments, stdin: stdin)
  }

  /// Starts any program without waiting for it.
  public static func startProgram(_ program: String, _ arguments: [String]) throws -> RunningProcess {
    try RunningProcess(program, arguments, stdin: "")
  }

  public static func startAtTerminal(_ arguments: [String], typed: String) throws -> RunningProcess {
    let command = ([path] + arguments).map(shellQuote).joined(separator: " ")
    return try RunningProcess("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: typed)
  }

  public static func shellQuote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  public static func runProgram(
    _ program: String, _ arguments: [String], stdin: String, environment: [String: String]
  )
    throws -> Result
  {
    let running = try RunningProcess(program, arguments, stdin: stdin, environment: environment)
    return running.wait()
  }
}

/// A child process with captured output. Spawned with posix_spawn and
/// reaped with waitpid, its streams in files: Foundation's Process can hang
/// in waitUntilExit on Linux when many children come and go.
public final class RunningProcess: @unchecked Sendable {
  public let pid: Int32
  let directory: String
  private var result: A0Binary.Result?

  init(_ program: String, _ arguments: [String], stdin: String, environment: [String: String] = [:]) throws {
    var template = Array("/tmp/a0run-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw FixtureError(message: "mkdtemp failed")
    }
    directory = String(cString: made)
    try stdin.write(toFile: directory + "/in", atomically: false, encoding: .utf8)
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "A0_HOME")
    for (key, value) in environment { merged[key] = value }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, directory + "/in", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, directory + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, directory + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var child: pid_t = 0
    let status = posix_spawn(&child, program, &actions, nil, argv, envp)
    guard status == 0 else { throw FixtureError(message: "cannot start \(program): \(status)") }
    pid = child
  }

  deinit { try? FileManager.default.removeItem(atPath: directory) }

  public func wait() -> A0Binary.Result {
    if let result { return result }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let read = { (name: String) in
      (try? String(contentsOfFile: self.directory + "/" + name, encoding: .utf8)) ?? ""
    }
    let finished = A0Binary.Result(status: code, stdout: read("out"), stderr: read("err"))
    result = finished
    return finished
  }
}

extension A0Binary {
  /// A new home made by `a0 init` for the real upstream's URL (nothing is fetched).
  public static func newHome(in scratch: ScratchDirectory) throws -> String {
    let home = scratch.path + "/home"
    let result = try run(["init", "--upstream", "https://github.com/agent0ai/agent-zero.git", "--home", home])
    guard result.status == 0 else { throw FixtureError(message: result.stderr) }
    return home
  }
}
