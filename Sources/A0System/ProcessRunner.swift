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
    let started = monotonicMilliseconds()
    var inputPipe: [Int32] = [-1, -1]
    var outputPipe: [Int32] = [-1, -1]
    var errorPipe: [Int32] = [-1, -1]
    guard a0_pipe_cloexec(&inputPipe) == 0, a0_pipe_cloexec(&outputPipe) == 0,
      a0_pipe_cloexec(&errorPipe) == 0
    else { throw A0Error(.operationFailed, "cannot create pipes", why: FileIO.errnoText()) }

    let pid: pid_t
    do {
      pid = try Spawn.start(
        killGroupOnExit ? environment.marking(command) : command, in: environment, stdin: inputPipe[0],
        stdout: outputPipe[1], stderr: errorPipe[1])
    } catch {
      for descriptor in inputPipe + outputPipe + errorPipe { close(descriptor) }
      throw error
    }
    close(inputPipe[0])
    close(outputPipe[1])
    close(errorPipe[1])
    onStart?(pid)
    Interrupts.setChildGroup(pid)
    defer {
      Interrupts.setChildGroup(nil)
      onStart?(nil)
    }

    let deadline = started + Int64(command.timeoutSeconds * 1000)
    var collector = OutputCollector(limit: command.outputLimit)
    var timedOut = false
    var input = command.standardInput[...]
    var inputOpen = true
    if input.isEmpty {
      close(inputPipe[1])
      inputOpen = false
    } else {
      _ = fcntl(inputPipe[1], F_SETFL, fcntl(inputPipe[1], F_GETFL) | O_NONBLOCK)
    }
    var openOutputs = 2
    var termSentAt: Int64?
    var interrupted = false
    while openOutputs > 0 {
      let now = monotonicMilliseconds()
      if Interrupts.pending != nil && termSentAt == nil {
        interrupted = true
        kill(-pid, SIGTERM)
        termSentAt = now
      }
      if now >= deadline && termSentAt == nil {
        timedOut = true
        kill(-pid, SIGTERM)
        termSentAt = now
      }
      if let sent = termSentAt, now >= sent + 2000 {
        kill(-pid, SIGKILL)
      }
      var descriptors = [
        pollfd(fd: outputPipe[0], events: Int16(POLLIN), revents: 0),
        pollfd(fd: errorPipe[0], events: Int16(POLLIN), revents: 0),
        pollfd(fd: inputOpen ? inputPipe[1] : -1, events: Int16(POLLOUT), revents: 0),
      ]
      let wait = termSentAt != nil ? 100 : Int32(max(1, min(deadline - now, 200)))
      let ready = poll(&descriptors, 3, wait)
      if ready < 0 && errno != EINTR { break }
      for index in 0..<2 where descriptors[index].revents != 0 {
        let descriptor = index == 0 ? outputPipe[0] : errorPipe[0]
        if !collector.read(from: descriptor, isError: index == 1) {
          descriptors[index].fd = -1
          close(descriptor)
          if index == 0 { outputPipe[0] = -1 } else { errorPipe[0] = -1 }
          openOutputs -= 1
        }
      }
      if inputOpen && descriptors[2].revents != 0 {
        let written = input.withUnsafeBytes { raw -> Int in
          guard let base = raw.baseAddress else { return 0 }
          return write(inputPipe[1], base, min(raw.count, 65536))
        }
        if written > 0 { input = input.dropFirst(written) }
        if written < 0 && errno != EAGAIN && errno != EINTR || input.isEmpty {
          close(inputPipe[1])
          inputOpen = false
        }
      }
      // A child that exits while a grandchild keeps the pipes open must not
      // hang a0: once the child is gone, stop reading after a short grace.
      if openOutputs > 0, ready == 0, childHasExited(pid) {
        if killGroupOnExit { kill(-pid, SIGKILL) } else { break }
      }
    }
    if inputOpen { close(inputPipe[1]) }
    if outputPipe[0] >= 0 { close(outputPipe[0]) }
    if errorPipe[0] >= 0 { close(errorPipe[0]) }

    // Reaped when it exits; at the deadline SIGTERM, and SIGKILL 2 s later.
    var status: Int32
    while true {
      if let reaped = Spawn.reap(pid, deadline: termSentAt.map { $0 + 2000 } ?? deadline) {
        status = reaped
        break
      }
      if termSentAt == nil {
        timedOut = true
        kill(-pid, SIGTERM)
        termSentAt = monotonicMilliseconds()
      } else {
        kill(-pid, SIGKILL)
        status = Spawn.reap(pid, deadline: .max) ?? 0
        break
      }
    }
    if killGroupOnExit || timedOut { kill(-pid, SIGKILL) }
    return ProcessResult(
      status: Spawn.exitStatus(status), signal: Spawn.terminatingSignal(status), timedOut: timedOut,
      interrupted: interrupted,
      stdout: Array(collector.stdout.suffix(command.outputLimit)),
      stderr: Array(collector.stderr.suffix(command.outputLimit)),
      durationMilliseconds: monotonicMilliseconds() - started)
  }

  private func childHasExited(_ pid: pid_t) -> Bool {
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

  private func append(_ target: inout [UInt8], _ count: Int) {
    target.append(contentsOf: buffer[0..<count])
    if target.count > limit * 2 { target.removeFirst(target.count - limit) }
  }

}
