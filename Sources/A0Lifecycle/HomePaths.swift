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

  public func productionLink(_ config: Config) -> String { root + "/" + config.production.link }

  /// Finds the home: `--home`, else `A0_HOME`, else the nearest directory
  /// holding `.billy/`, walking up from the working directory.
  public static func discover(explicit: String?, environment: [String: String], workingDirectory: String)
    throws(A0Error) -> HomePaths
  {
    if let chosen = explicit ?? environment["A0_HOME"].flatMap({ $0.isEmpty ? nil : $0 }) {
      let absolute = absolutePath(chosen, relativeTo: workingDirectory)
      guard FileIO.isDirectory(absolute + "/.billy") else {
        throw A0Error(
          .badInput, "\(absolute) is not an a0 home", why: "it has no .billy/ directory",
          next: "Run `a0 init --upstream URL --home \(absolute)` to create one, or pass the right --home")
      }
      return HomePaths(root: absolute)
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
