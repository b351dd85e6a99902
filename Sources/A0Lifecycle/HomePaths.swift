import A0Core
import A0System

/// Where everything of one a0 home lives (DESIGN.md §3).
public struct HomePaths: Sendable, Equatable {
  /// The directory that holds `.billy/` and the production link.
  public let root: String

  public init(root: String) { self.root = root }

  public var billy: String { root + "/.billy" }
  public var config: String { billy + "/config.toml" }
  public var state: String { billy + "/state.json" }
  public var journal: String { billy + "/upgrade_history.log" }
  public var lock: String { billy + "/lock" }
  public var versionFile: String { billy + "/version.json" }
  public var knownGood: String { billy + "/known_good.json" }
  public var approvals: String { billy + "/approvals" }
  public var builds: String { billy + "/builds" }
  public var artifacts: String { billy + "/artifacts" }
  public var reports: String { billy + "/reports" }
  public var shared: String { billy + "/shared" }
  public var snapshots: String { billy + "/snapshots" }
  public var lastHealthCheck: String { billy + "/last_health_check.json" }
  /// The installers' caches (`cache/uv`).
  public var cache: String { billy + "/cache" }
  /// The last journal event notifications were delivered for, and the back-off.
  public var notifyCursor: String { billy + "/notify.json" }
  public var notifyLock: String { billy + "/notify.lock" }
  /// The progress of the last command that reported any, for `--follow`.
  public var progress: String { billy + "/progress.jsonl" }
  public var uvCache: String { cache + "/uv" }
  /// Validation's scratch copies of releases.
  public var scratch: String { billy + "/tmp" }
  /// `HOME` of every child a0 starts, so nothing in the caller's home
  /// (`.gitconfig`, `.curlrc`, `pip.conf`) steers them.
  public var childHome: String { billy + "/home" }

  /// The files of `.billy/` a0 acts on: each is a real file of a0's user.
  public var controlFiles: [String] {
    [config, state, journal, lock, versionFile, knownGood, lastHealthCheck]
  }

  /// The directories of `.billy/` a0 writes into: each is a real directory of a0's user.
  public var controlDirectories: [String] {
    [approvals, builds, artifacts, reports, shared, snapshots, cache, scratch, childHome]
  }

  /// Where humans.allowed_signers is: relative paths are inside `.billy/`.
  public func allowedSigners(_ config: Config) -> String {
    config.humans.allowedSigners.hasPrefix("/")
      ? config.humans.allowedSigners : billy + "/" + config.humans.allowedSigners
  }

  public func productionLink(_ config: Config) -> String { root + "/" + config.production.link }

  /// Finds the home: `--home`, else `A0_HOME`, else the nearest directory
  /// holding `.billy/`, walking up from the working directory; then checks
  /// a0 may trust it (`HomeTrust`), before anything in it is read.
  public static func discover(explicit: String?, environment: [String: String], workingDirectory: String)
    throws(A0Error) -> HomePaths
  {
    let paths = try locate(explicit: explicit, environment: environment, workingDirectory: workingDirectory)
    try HomeTrust.verify(paths)
    return paths
  }

  /// The home `discover` would choose, not yet checked: for `a0 doctor`,
  /// which reports what it finds instead of refusing. Its real path, as
  /// the kernel resolves it (never `..` taken away by text: `x /../y` is
  /// not `y` unless `x ` exists), so no link on the way can be repointed
  /// between the check and the use.
  public static func locate(explicit: String?, environment: [String: String], workingDirectory: String)
    throws(A0Error) -> HomePaths
  {
    if let chosen = explicit ?? environment["A0_HOME"].flatMap({ $0.isEmpty ? nil : $0 }) {
      let joined = chosen.hasPrefix("/") ? chosen : workingDirectory + "/" + chosen
      guard let real = FileIO.realPath(joined), FileIO.isDirectory(real + "/.billy") else {
        throw A0Error(
          .badInput, "\(joined) is not an a0 home", why: "it has no .billy/ directory",
          next: "Run `a0 init --upstream URL --home \(joined)` to create one, or pass the right --home")
      }
      return HomePaths(root: real)
    }
    var directory = workingDirectory
    while true {
      if FileIO.isDirectory(directory + "/.billy") { return HomePaths(root: directory) }
      if directory == "/" || directory.isEmpty { break }
      directory = FileIO.parent(of: directory)
    }
    throw A0Error(
      .badInput, "no a0 home found", why: "neither --home, A0_HOME nor a .billy/ above \(workingDirectory)",
      next: "Run `a0 init --upstream URL` in the directory that should hold the app, or pass --home DIR")
  }

  /// The home that holds `path` (a directory above it with `.billy/`), if any.
  public static func enclosingHome(of path: String) -> String? {
    var directory = FileIO.realPath(FileIO.parent(of: path)) ?? FileIO.parent(of: path)
    while true {
      if FileIO.exists(directory + "/.billy") { return directory }
      if directory == "/" || directory.isEmpty || directory == "." { return nil }
      directory = FileIO.parent(of: directory)
    }
  }

  public static func absolutePath(_ path: String, relativeTo base: String) -> String {
    var joined = path.hasPrefix("/") ? path : base + "/" + path
    while joined.count > 1 && joined.hasSuffix("/") { joined.removeLast() }
    var parts: [Substring] = []
    for part in joined.split(separator: "/") {
      if part == "." { continue }
      if part == ".." {
        if !parts.isEmpty { parts.removeLast() }
        continue
      }
      parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
  }
}
