import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// Named points at every durable step, where tests make a0 die (SIGKILL to
/// itself) or fail, to prove recovery. Compiled only into debug builds: in
/// a release build `reach` is empty and `A0_FAULT` has no effect.
///
/// `A0_FAULT=<point>` or `<point>:kill` kills the process there;
/// `<point>:error` throws an operation failure instead.
public enum FaultPoint {
  @inline(__always)
  public static func reach(_ name: @autoclosure () -> String) throws(A0Error) {
    #if DEBUG
      guard let raw = getenv("A0_FAULT") else { return }
      let spec = String(cString: raw)
      let point = name()
      if spec == point || spec == point + ":kill" {
        kill(getpid(), SIGKILL)
        pause()
      }
      if spec == point + ":error" {
        throw A0Error(.operationFailed, "injected fault at \(point)")
      }
    #endif
  }

  /// Whether fault injection is compiled in (debug builds only).
  public static var isCompiledIn: Bool {
    #if DEBUG
      return true
    #else
      return false
    #endif
  }
}
