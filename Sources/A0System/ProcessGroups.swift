#if canImport(Glibc)
  import Glibc
#endif

/// Processes a0 did not start in this run: a dead lock holder's, and the
/// groups it left behind.
public enum ProcessGroups {
  /// Whether no process `pid` exists any more.
  public static func isGone(_ pid: Int32) -> Bool { kill(pid, 0) != 0 && errno == ESRCH }

  /// Kills every process of `group` and waits up to two seconds until none
  /// is left, so nothing it held writes again. False when there was no such group.
  public static func stop(_ group: Int32) -> Bool {
    guard kill(-group, SIGKILL) == 0 else { return false }
    for _ in 0..<100 where kill(-group, 0) == 0 { usleep(20_000) }
    return true
  }
}
