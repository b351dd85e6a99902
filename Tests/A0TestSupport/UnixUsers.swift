import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Real Unix users for the trust-boundary tests (they need root, which CI
/// and the development machine have): the owner of a home and the agent.
public enum UnixUsers {
  public static let owner = "a0owner"
  public static let agent = "a0agent"

  public static func ensure(_ name: String) throws {
    guard getpwnam(name) == nil else { return }
    let result = try run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
    guard result.succeeded || getpwnam(name) != nil else { throw FixtureError(message: result.tail()) }
  }

  public static func uid(_ name: String) -> uid_t? { getpwnam(name).map { $0.pointee.pw_uid } }

  /// Runs a command as root would type it (chown, runuser, visudo…).
  @discardableResult
  public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try ProcessRunner().run(CommandLineSpec(arguments, environment: environment, timeoutSeconds: 60))
  }
}
