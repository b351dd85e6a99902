import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// The wall clock, injectable so lifecycle tests control time.
public protocol Clock: Sendable {
  func now() -> Timestamp
}

public struct SystemClock: Clock {
  public init() {}

  public func now() -> Timestamp {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
  }
}
