import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// Processes a0 did not start in this run: a dead lock holder's, and the
/// groups it left behind.
public enum ProcessGroups {
  /// Whether no process `pid` exists any more.
  public static func isGone(_ pid: Int32) -> Bool { kill(pid, 0) != 0 && errno == ESRCH }

  /// When `pid` started, in clock ticks since boot (`/proc/PID/stat`), so a
  /// pid reused by another process is not taken for the one recorded; nil
  /// when there is no such process or it has ended (a zombie).
  public static func startTicks(of pid: Int32) -> UInt64? {
    guard let bytes = try? FileIO.read("/proc/\(pid)/stat"),
      let text = String(validating: bytes, as: UTF8.self),
      let close = text.lastIndex(of: ")")
    else { return nil }
    // After the command's name (which may hold spaces and parentheses): state, then 49 more fields.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
    return UInt64(fields[19])
  }

  /// Kills every process of `group` and waits up to two seconds until none
  /// is left, so nothing it held writes again. False when there was no such group.
  public static func stop(_ group: Int32) -> Bool {
    guard kill(-group, SIGKILL) == 0 else { return false }
    for _ in 0..<100 where kill(-group, 0) == 0 { usleep(20_000) }
    return true
  }
}
