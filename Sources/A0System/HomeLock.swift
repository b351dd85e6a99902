import A0Core
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The exclusive lock every mutating command holds for its whole run.
///
/// `flock(2)` is released by the kernel when the process dies, so a killed
/// a0 never leaves a stale lock (unlike an O_EXCL lock file). The descriptor
/// is close-on-exec, so child processes never inherit it. The holder's pid
/// and command are written into the file only as information for "busy"
/// messages and for recovery.
public final class HomeLock: @unchecked Sendable {
  public let path: String
  private var descriptor: Int32
  /// Process groups the previous holder recorded; it is gone now (the
  /// kernel released its lock), so anything left in them is an orphan.
  public private(set) var orphanedChildGroups: [Int32] = []
  /// The previous holder's pid, as its lock file names it.
  public private(set) var previousHolder: Int32?

  private init(path: String, descriptor: Int32) {
    self.path = path
    self.descriptor = descriptor
  }

  deinit { release() }

  public func release() {
    guard descriptor >= 0 else { return }
    flock(descriptor, LOCK_UN)
    close(descriptor)
    descriptor = -1
  }

  /// Takes the lock, waiting up to `waitSeconds` (0: fail at once).
  /// Throws `busy` naming the holder.
  public static func acquire(path: String, command: String, waitSeconds: Double, clock: any Clock)
    throws(A0Error) -> HomeLock
  {
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open the lock file \(path)", why: FileIO.errnoText())
    }
    let deadline = clock.now().millisecondsSinceEpoch + Int64(waitSeconds * 1000)
    while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      guard code == EWOULDBLOCK || code == EINTR else {
        close(descriptor)
        throw A0Error(.operationFailed, "cannot lock \(path)", why: FileIO.errnoText(code))
      }
      if clock.now().millisecondsSinceEpoch >= deadline {
        close(descriptor)
        let holder = holderDescription(path: path)
        throw A0Error(
          .busy, "another a0 command is running",
          why: "\(holder) holds the lock on \(FileIO.parent(of: path))",
          next: waitSeconds > 0
            ? "It did not finish within \(Int(waitSeconds)) s; try again later"
            : "Wait for it to finish, or pass --wait SECONDS to wait for it")
      }
      usleep(50_000)
    }
    let lock = HomeLock(path: path, descriptor: descriptor)
    lock.orphanedChildGroups = recordedChildren(path: path)
    lock.previousHolder = recordedHolder(path: path)
    lock.writeHolder(command: command, children: [])
    return lock
  }

  /// Takes the lock only if it is free at once; nil when another process holds it.
  public static func tryAcquire(path: String, command: String) -> HomeLock? {
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard descriptor >= 0 else { return nil }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      close(descriptor)
      return nil
    }
    let lock = HomeLock(path: path, descriptor: descriptor)
    lock.orphanedChildGroups = recordedChildren(path: path)
    lock.previousHolder = recordedHolder(path: path)
    lock.writeHolder(command: command, children: [])
    return lock
  }

  /// Records the holder and the process groups of its running children,
  /// so that recovery after a crash can stop what the dead holder started.
  public func writeHolder(command: String, children: [Int32]) {
    guard descriptor >= 0 else { return }
    var info: [String: JSONValue] = ["pid": .int(Int64(getpid())), "command": .string(command)]
    info["child_process_groups"] = .array(children.map { .int(Int64($0)) })
    let bytes = JSONValue.object(info).canonicalBytes + [UInt8(ascii: "\n")]
    // Overwrite, then cut to length: a reader never sees an empty file.
    _ = bytes.withUnsafeBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      return pwrite(descriptor, base, raw.count, 0)
    }
    _ = ftruncate(descriptor, off_t(bytes.count))
  }

  /// What the lock file says about its holder, for "busy" messages.
  public static func holderDescription(path: String) -> String {
    // The holder writes its name just after taking the lock; give it a moment.
    for attempt in 0..<10 {
      if let bytes = try? FileIO.read(path), let info = try? JSONValue.parse(bytes),
        let pid = info["pid"]?.intValue
      {
        let command = info["command"]?.stringValue ?? "a0"
        return "pid \(pid) (`\(command)`)"
      }
      if attempt < 9 { usleep(20_000) }
    }
    return "another process"
  }

  /// Whether a process holds the lock now, read from `/proc/locks` without
  /// trying to take it (a try could make a command that starts meanwhile
  /// find the home busy).
  public static func isHeld(path: String, by holder: Int32? = nil) -> Bool {
    var status = stat()
    guard stat(path, &status) == 0, let bytes = try? FileIO.read("/proc/locks") else { return false }
    // `MAJOR:MINOR:INODE`, the device in hex of two digits at least, as the kernel writes it.
    let device = UInt64(status.st_dev)
    let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
    let minor = (device & 0xff) | ((device >> 12) & ~0xff)
    func hex(_ number: UInt64) -> String {
      let digits = String(number, radix: 16)
      return digits.count < 2 ? "0" + digits : digits
    }
    let file = " \(hex(major)):\(hex(minor)):\(status.st_ino) "
    // Where the kernel names another device than stat gives (btrfs
    // subvolumes), the inode and the recorded holder's pid still match.
    let inode = ":\(status.st_ino) "
    let pid = holder.map { " \($0) " }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains { line in
      line.contains(" FLOCK ") && line.contains(" WRITE ")
        && (line.contains(file) || pid.map { line.contains($0) && line.contains(inode) } ?? false)
    }
  }

  /// The pid the previous holder recorded (read before rewriting).
  public static func recordedHolder(path: String) -> Int32? {
    guard let bytes = try? FileIO.read(path), let info = try? JSONValue.parse(bytes) else { return nil }
    return info["pid"]?.intValue.map { Int32(truncatingIfNeeded: $0) }
  }

  /// Process groups the previous holder recorded (read before rewriting).
  public static func recordedChildren(path: String) -> [Int32] {
    guard let bytes = try? FileIO.read(path), let info = try? JSONValue.parse(bytes),
      let groups = info["child_process_groups"]?.arrayValue
    else { return [] }
    return groups.compactMap { $0.intValue.map { Int32(truncatingIfNeeded: $0) } }
  }
}

/// The process groups a lock holder's children run in, kept in its lock
/// file so that recovery after a crash can stop what it started: the one
/// command it waits for and any it runs in the background meanwhile.
public final class ChildGroupRecord: Sendable {
  private let lock: HomeLock?
  private let command: String
  private let groups = Mutex<(waitedFor: Int32?, background: [Int32])>((nil, []))

  public init(lock: HomeLock?, command: String) {
    self.lock = lock
    self.command = command
  }

  /// The group of the command being waited for, or nil once it is done.
  public func setWaitedFor(_ group: Int32?) {
    update { $0.waitedFor = group }
  }

  public func addBackground(_ group: Int32) {
    update { $0.background.append(group) }
  }

  public func removeBackground(_ group: Int32) {
    update { $0.background.removeAll { $0 == group } }
  }

  private func update(_ change: (inout (waitedFor: Int32?, background: [Int32])) -> Void) {
    groups.withLock { current in
      let before = current
      change(&current)
      guard current != before else { return }
      let running = current.background + (current.waitedFor.map { [$0] } ?? [])
      lock?.writeHolder(command: command, children: running)
    }
  }
}
