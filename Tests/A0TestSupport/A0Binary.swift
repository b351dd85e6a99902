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

  public static func startAtTerminal(_ arguments: [String], typed: String) throws -> RunningProcess {
    let command = ([path] + arguments).map(shellQuote).joined(separator: " ")
    return try RunningProcess("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: typed)
  }

  static func shellQuote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  static func runProgram(
    _ program: String, _ arguments: [String], stdin: String, environment: [String: String]
  )
    throws -> Result
  {
    let running = try RunningProcess(program, arguments, stdin: stdin, environment: environment)
    return running.wait()
  }
}

/// A child process with captured output.
public final class RunningProcess: @unchecked Sendable {
  let process = Process()
  let out = Pipe()
  let err = Pipe()
  private var stdoutData = Data()
  private var stderrData = Data()
  private let group = DispatchGroup()

  init(_ program: String, _ arguments: [String], stdin: String, environment: [String: String] = [:]) throws {
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "A0_HOME")
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = err
    try process.run()
    group.enter()
    DispatchQueue.global().async { [out] in
      self.stdoutData = out.fileHandleForReading.readDataToEndOfFile()
      self.group.leave()
    }
    group.enter()
    DispatchQueue.global().async { [err] in
      self.stderrData = err.fileHandleForReading.readDataToEndOfFile()
      self.group.leave()
    }
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try? input.fileHandleForWriting.close()
  }

  public var pid: Int32 { process.processIdentifier }

  public func wait() -> A0Binary.Result {
    process.waitUntilExit()
    group.wait()
    return A0Binary.Result(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }
}
