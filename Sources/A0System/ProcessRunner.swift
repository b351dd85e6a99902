import A0Core
import CA0Shims

#if canImport(Glibc)
  import Glibc
#endif

/// One external command: an argument array, never a shell string.
public struct CommandLineSpec: Sendable {
  public var arguments: [String]
  /// This command's own variables, added to what the runner's
  /// `ChildEnvironment` gives every child.
  public var environment: [String: String]
  public var workingDirectory: String?
  public var timeoutSeconds: Double
  public var standardInput: [UInt8]
  /// Bytes of stdout and of stderr kept (the tail); the rest is counted, not kept.
  public var outputLimit: Int
  /// Told the newest line the command printed (either stream), as it
  /// prints it: what a person watching sees it doing. Called on the thread
  /// that runs the command.
  public var onOutputLine: (@Sendable (String) -> Void)?

  public init(
    _ arguments: [String], environment: [String: String] = [:],
    workingDirectory: String? = nil, timeoutSeconds: Double, standardInput: [UInt8] = [],
    outputLimit: Int = 1 << 20
  ) {
    self.arguments = arguments
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.timeoutSeconds = timeoutSeconds
    self.standardInput = standardInput
    self.outputLimit = outputLimit
  }

  /// For logs: each argument quoted when it needs it. Never executed.
  public var display: String {
    arguments.map { argument in
      argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@+,".contains($0) } && !argument.isEmpty
        ? argument : "'" + argument.replacingAll("'", with: "'\\''") + "'"
    }.joined(separator: " ")
  }
}

public struct ProcessResult: Sendable {
  public var status: Int32
  public var signal: Int32?
  public var timedOut: Bool
  /// The run was stopped because a0 itself received SIGINT/SIGTERM/SIGHUP.
  public var interrupted: Bool = false
  public var stdout: [UInt8]
  public var stderr: [UInt8]
  public var durationMilliseconds: Int64

  public var succeeded: Bool { status == 0 && signal == nil && !timedOut && !interrupted }
  public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
  public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

  /// The last lines of the combined output, for error messages and reports.
  public func tail(lines count: Int = 20) -> String {
    let text = (stderrText.isEmpty ? stdoutText : stdoutText + stderrText)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.suffix(count).joined(separator: "\n")
  }
}

/// Anything that runs external commands; tests may inject another.
public protocol CommandRunning: Sendable {
  func run(_ command: CommandLineSpec) throws(A0Error) -> ProcessResult
}

/// Runs commands in their own process group, with a deadline after which
/// the whole group is terminated (SIGTERM, then SIGKILL), so no grandchild
/// outlives a timeout.
public struct ProcessRunner: CommandRunning {
  /// Where programs are found and what every child's environment holds.
  public var environment: ChildEnvironment
  /// Called with each child's process group while it runs (and with nil
  /// after), so a lock holder can record it for recovery.
  public var onStart: (@Sendable (Int32?) -> Void)?
  public var killGroupOnExit: Bool

  public init(
    environment: ChildEnvironment = ChildEnvironment(), killGroupOnExit: Bool = true,
    onStart: (@Sendable (Int32?) -> Void)? = nil
  ) {
    self.environment = environment
    self.killGroupOnExit = killGroupOnExit
    self.onStart = onStart
  }

  public func run(_ command: CommandLineSpec) throws(A0Error) -> ProcessResult {
    var child = try RunningChild(
      command, spawnAs: killGroupOnExit ? environment.marking(command) : command, in: environment)
    onStart?(child.pid)
    Interrupts.setChildGroup(child.pid)
    defer {
      Interrupts.setChildGroup(nil)
      onStart?(nil)
    }
    child.exchangeOutput(killGroupOnExit: killGroupOnExit)
    let status = child.reap()
    if killGroupOnExit || child.timedOut { kill(-child.pid, SIGKILL) }
    return ProcessResult(
      status: Spawn.exitStatus(status), signal: Spawn.terminatingSignal(status), timedOut: child.timedOut,
      interrupted: child.interrupted,
      stdout: Array(child.collector.stdout.suffix(command.outputLimit)),
      stderr: Array(child.collector.stderr.suffix(command.outputLimit)),
      durationMilliseconds: monotonicMilliseconds() - child.started)
  }
}

/// One child while it runs: its pipes, its deadline, and how it is being
/// stopped (SIGTERM at the deadline or on a0's own interrupt, SIGKILL 2 s later).
struct RunningChild {
  let pid: pid_t
  let started: Int64
  let deadline: Int64
  var collector: OutputCollector
  private(set) var timedOut = false
  private(set) var interrupted = false
  private var termSentAt: Int64?
  private var input: ArraySlice<UInt8>
  private var inputDescriptor: Int32
  private var outputDescriptors: [Int32]
  private let onOutputLine: (@Sendable (String) -> Void)?

  init(_ command: CommandLineSpec, spawnAs spawned: CommandLineSpec, in environment: ChildEnvironment)
    throws(A0Error)
  {
    started = monotonicMilliseconds()
    var inputPipe: [Int32] = [-1, -1]
    var outputPipe: [Int32] = [-1, -1]
    var errorPipe: [Int32] = [-1, -1]
    guard a0_pipe_cloexec(&inputPipe) == 0, a0_pipe_cloexec(&outputPipe) == 0,
      a0_pipe_cloexec(&errorPipe) == 0
    else { throw A0Error(.operationFailed, "cannot create pipes", why: FileIO.errnoText()) }
    do {
      pid = try Spawn.start(
        spawned, in: environment, stdin: inputPipe[0], stdout: outputPipe[1], stderr: errorPipe[1])
    } catch {
      for descriptor in inputPipe + outputPipe + errorPipe { close(descriptor) }
      throw error
    }
    close(inputPipe[0])
    close(outputPipe[1])
    close(errorPipe[1])
    deadline = started + Int64(command.timeoutSeconds * 1000)
    onOutputLine = command.onOutputLine
    collector = OutputCollector(limit: command.outputLimit)
    input = command.standardInput[...]
    inputDescriptor = inputPipe[1]
    outputDescriptors = [outputPipe[0], errorPipe[0]]
    if input.isEmpty {
      closeInput()
    } else {
      _ = fcntl(inputDescriptor, F_SETFL, fcntl(inputDescriptor, F_GETFL) | O_NONBLOCK)
    }
  }

  /// Feeds stdin and reads stdout and stderr until both are closed,
  /// stopping the group at the deadline or when a0 is interrupted.
  mutating func exchangeOutput(killGroupOnExit: Bool) {
    while outputDescriptors.contains(where: { $0 >= 0 }) {
      let now = monotonicMilliseconds()
      enforceDeadline(now: now)
      var descriptors = [
        pollfd(fd: outputDescriptors[0], events: Int16(POLLIN), revents: 0),
        pollfd(fd: outputDescriptors[1], events: Int16(POLLIN), revents: 0),
        pollfd(fd: inputDescriptor, events: Int16(POLLOUT), revents: 0),
      ]
      let wait = termSentAt != nil ? 100 : Int32(max(1, min(deadline - now, 200)))
      let ready = poll(&descriptors, 3, wait)
      if ready < 0 && errno != EINTR { break }
      for index in 0..<2 where descriptors[index].revents != 0 {
        if !collector.read(from: outputDescriptors[index], isError: index == 1) {
          close(outputDescriptors[index])
          outputDescriptors[index] = -1
        } else if let onOutputLine, let line = collector.lastLine(isError: index == 1) {
          onOutputLine(line)
        }
      }
      if inputDescriptor >= 0 && descriptors[2].revents != 0 { writeInput() }
      // A child that exits while a grandchild keeps the pipes open must not
      // hang a0: once the child is gone, stop reading after a short grace.
      if outputDescriptors.contains(where: { $0 >= 0 }), ready == 0, Self.hasExited(pid) {
        if killGroupOnExit { kill(-pid, SIGKILL) } else { break }
      }
    }
    closeInput()
    for descriptor in outputDescriptors where descriptor >= 0 { close(descriptor) }
    outputDescriptors = [-1, -1]
  }

  private mutating func enforceDeadline(now: Int64) {
    if Interrupts.pending != nil && termSentAt == nil {
      interrupted = true
      terminate(at: now)
    }
    if now >= deadline && termSentAt == nil {
      timedOut = true
      terminate(at: now)
    }
    if let sent = termSentAt, now >= sent + 2000 {
      kill(-pid, SIGKILL)
    }
  }

  private mutating func terminate(at now: Int64) {
    kill(-pid, SIGTERM)
    termSentAt = now
  }

  private mutating func writeInput() {
    let written = input.withUnsafeBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      return write(inputDescriptor, base, min(raw.count, 65536))
    }
    if written > 0 { input = input.dropFirst(written) }
    if written < 0 && errno != EAGAIN && errno != EINTR || input.isEmpty { closeInput() }
  }

  private mutating func closeInput() {
    if inputDescriptor >= 0 { close(inputDescriptor) }
    inputDescriptor = -1
  }

  /// Reaped when it exits; at the deadline SIGTERM, and SIGKILL 2 s later.
  mutating func reap() -> Int32 {
    while true {
      if let reaped = Spawn.reap(pid, deadline: termSentAt.map { $0 + 2000 } ?? deadline) {
        return reaped
      }
      if termSentAt == nil {
        timedOut = true
        terminate(at: monotonicMilliseconds())
      } else {
        kill(-pid, SIGKILL)
        return Spawn.reap(pid, deadline: .max) ?? 0
      }
    }
  }

  static func hasExited(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
      && info._sifields._sigchld.si_pid == pid
  }
}

public func monotonicMilliseconds() -> Int64 {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}

/// Keeps the tail of each stream within a limit.
struct OutputCollector {
  let limit: Int
  var stdout: [UInt8] = []
  var stderr: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)

  init(limit: Int) { self.limit = limit }

  /// Reads what is available; false at end of stream.
  mutating func read(from descriptor: Int32, isError: Bool) -> Bool {
    let count = buffer.withUnsafeMutableBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      return Glibc.read(descriptor, base, raw.count)
    }
    if count < 0 { return errno == EINTR || errno == EAGAIN }
    if count == 0 { return false }
    if isError {
      append(&stderr, count)
    } else {
      append(&stdout, count)
    }
    return true
  }

  /// The last complete, non-blank line of a stream, from its last 1 KiB.
  func lastLine(isError: Bool) -> String? {
    let tail = (isError ? stderr : stdout).suffix(1024)
    guard let end = tail.lastIndex(of: UInt8(ascii: "\n")) else { return nil }
    let lines = tail[..<end].split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
    guard let line = lines.last(where: { $0.contains { $0 > 0x20 } }) else { return nil }
    return String(decoding: line, as: UTF8.self).trimmingWhitespace
  }

  private func append(_ target: inout [UInt8], _ count: Int) {
    target.append(contentsOf: buffer[0..<count])
    if target.count > limit * 2 { target.removeFirst(target.count - limit) }
  }

}
