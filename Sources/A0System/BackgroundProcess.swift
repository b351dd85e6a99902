import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// A long-running child in its own process group (a server under test),
/// its output sent to a log file. `stop()` ends the whole group.
public final class BackgroundProcess {
  public let pid: pid_t
  public let logPath: String
  private var stopped = false

  /// `holderMarked`: whether the child carries this a0's mark, so recovery
  /// stops it once this a0 is gone. False for a child meant to outlive it.
  public init(
    _ spec: CommandLineSpec, in environment: ChildEnvironment, logPath: String, holderMarked: Bool = true
  ) throws(A0Error) {
    self.logPath = logPath
    let logDescriptor = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard logDescriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot create \(logPath)", why: FileIO.errnoText())
    }
    defer { close(logDescriptor) }
    let nullDescriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { close(nullDescriptor) }
    pid = try Spawn.start(
      holderMarked ? environment.marking(spec) : spec, in: environment, stdin: nullDescriptor,
      stdout: logDescriptor,
      stderr: logDescriptor)
  }

  deinit { stop() }

  /// Whether the child has exited (it is reaped then).
  public var hasExited: Bool {
    var status: Int32 = 0
    return stopped || waitpid(pid, &status, WNOHANG) == pid
  }

  /// Waits for the child to exit, until `deadline` (monotonic
  /// milliseconds): its exit status (128 + the signal that killed it), or
  /// nil if it is still running. An exited child is reaped and its group
  /// killed, so nothing it left behind outlives it.
  public func waitForExit(deadline: Int64) -> Int32? {
    guard !stopped, let status = Spawn.reap(pid, deadline: deadline) else { return nil }
    stopped = true
    kill(-pid, SIGKILL)
    return Spawn.exitStatus(status)
  }

  /// Lets the child run on after this value is gone (a detached operation
  /// the caller stops waiting for); nothing stops or reaps it from here on.
  public func release() {
    stopped = true
  }

  /// SIGTERM to the group, SIGKILL after `grace`, then reap.
  public func stop(graceSeconds: Double = 3) {
    guard !stopped else { return }
    stopped = true
    kill(-pid, SIGTERM)
    let exited = Spawn.reap(pid, deadline: monotonicMilliseconds() + Int64(graceSeconds * 1000)) != nil
    kill(-pid, SIGKILL)
    if !exited { _ = Spawn.reap(pid, deadline: .max) }
  }

  public func outputTail(bytes: Int = 4000) -> String {
    ((try? FileIO.read(logPath)).flatMap { $0 }).map { String(decoding: $0.suffix(bytes), as: UTF8.self) }
      ?? ""
  }
}

extension FileIO {
  /// Copies a tree: directories, regular files (with their mode) and
  /// symlinks as symlinks; never follows a link. `durable: false` skips the
  /// fsync of each file, for scratch copies nobody needs after a crash.
  public static func copyTree(
    from source: String, to destination: String, skipTopLevel: Set<String> = [], durable: Bool = true
  ) throws(A0Error) {
    var info = stat()
    guard lstat(source, &info) == 0 else {
      throw A0Error(.operationFailed, "cannot read \(source)", why: errnoText())
    }
    switch info.st_mode & S_IFMT {
    case S_IFDIR:
      try makeDirectory(destination, mode: info.st_mode & 0o7777)
      for name in try listDirectory(source) where !skipTopLevel.contains(name) {
        try copyTree(from: source + "/" + name, to: destination + "/" + name, durable: durable)
      }
    case S_IFLNK:
      guard let target = readLink(source), symlink(target, destination) == 0 else {
        throw A0Error(.operationFailed, "cannot copy the link \(source)", why: errnoText())
      }
    case S_IFREG:
      try copyFile(from: source, to: destination, mode: info.st_mode & 0o7777, durable: durable)
    default:
      return
    }
  }

  public static func copyFile(from source: String, to destination: String, mode: mode_t, durable: Bool = true)
    throws(A0Error)
  {
    let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard input >= 0 else { throw A0Error(.operationFailed, "cannot open \(source)", why: errnoText()) }
    defer { close(input) }
    let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
    guard output >= 0 else {
      throw A0Error(.operationFailed, "cannot create \(destination)", why: errnoText())
    }
    defer { close(output) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let count = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return Glibc.read(input, base, raw.count)
      }
      if count < 0 {
        if errno == EINTR { continue }
        throw A0Error(.operationFailed, "cannot read \(source)", why: errnoText())
      }
      if count == 0 { break }
      try writeAll(descriptor: output, Array(buffer[0..<count]), path: destination)
    }
    if durable { try fsyncDescriptor(output, path: destination) }
  }
}
