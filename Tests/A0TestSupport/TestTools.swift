import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// The tools the test process itself finds: what `a0 init` records as a
/// home's `[tools] path` when the tests create homes.
public enum TestTools {
  public static var callerTools: ChildEnvironment {
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    return ChildEnvironment(
      searchPath: path.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") })
  }
}
