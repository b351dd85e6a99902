#if canImport(Glibc)
  import Glibc
#endif

/// The terminal a human may be sitting at; injectable for tests.
public protocol Terminal: Sendable {
  /// Whether stdin and stdout are both terminals.
  var isInteractive: Bool { get }
  var isErrorTerminal: Bool { get }
  /// The width of the terminal stderr writes to, read anew each time (it
  /// may be resized); nil when it is not a terminal.
  var errorColumns: Int? { get }
  /// Shows `prompt` on the terminal and reads one line; nil at end of input.
  func ask(_ prompt: String) -> String?
}

public struct ProcessTerminal: Terminal {
  public init() {}

  public var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }
  public var isErrorTerminal: Bool { isatty(STDERR_FILENO) == 1 }

  public var errorColumns: Int? {
    var size = winsize()
    guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
  }

  public func ask(_ prompt: String) -> String? {
    FileHandleOutput.standardError.write(prompt)
    return readLine(strippingNewline: true)
  }
}

/// Unbuffered writes to a descriptor.
public struct FileHandleOutput: Sendable {
  public let descriptor: Int32

  public static let standardOutput = FileHandleOutput(descriptor: STDOUT_FILENO)
  public static let standardError = FileHandleOutput(descriptor: STDERR_FILENO)

  public func write(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return Glibc.write(descriptor, base + offset, raw.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        return
      }
      offset += written
    }
    bytes.removeAll()
  }

  /// Writes what the descriptor takes at once and drops the rest: progress
  /// lines, written while a0 may hold the home's lock, must never wait on a
  /// reader (a caller can suspend its terminal's output, or stop reading a
  /// pipe, to keep a0 and its lock waiting forever). Written through a
  /// description of its own opened non-blocking, so the caller's is untouched.
  public func writeWithoutWaiting(_ text: String) {
    // A file never waits on a reader, and a description of its own would
    // write at its own offset, over what the caller's description writes.
    if NonBlockingCopies.isRegularFile(descriptor) { return write(text) }
    let copy = NonBlockingCopies.descriptor(for: descriptor)
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      if let copy { return Glibc.write(copy, base, raw.count) }
      // A socket (systemd's journal) cannot be reopened; it takes a flag per call.
      let sent = send(descriptor, base, raw.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
      guard sent < 0 && errno == ENOTSOCK else { return sent }
      // Another user's terminal (under sudo): a short line goes only where there is room now.
      var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
      return poll(&ready, 1, 0) == 1 && ready.revents & Int16(POLLOUT) != 0
        ? Glibc.write(descriptor, base, raw.count) : 0
    }
  }
}

/// One non-blocking description per output descriptor, opened on first use.
private enum NonBlockingCopies {
  nonisolated(unsafe) static var opened: [Int32: Int32] = [:]

  static func isRegularFile(_ descriptor: Int32) -> Bool {
    var status = stat()
    return fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
  }

  static func descriptor(for original: Int32) -> Int32? {
    if let copy = opened[original] { return copy >= 0 ? copy : nil }
    let copy = open("/proc/self/fd/\(original)", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_APPEND)
    opened[original] = copy
    return copy >= 0 ? copy : nil
  }
}

/// Who is at the keyboard, for the journal's `human:<identity>`.
public enum LoginIdentity {
  public static func current() -> String {
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
    return "uid\(getuid())"
  }
}
