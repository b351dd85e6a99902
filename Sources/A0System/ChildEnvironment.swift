import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// What a0 hands every child process it starts, decided by the home's owner
/// and never by the caller (DESIGN.md §8): programs are found on the
/// home's tool search path, `HOME` is a0's own directory, and of the
/// caller's environment only the network settings and the ssh agent pass.
/// Under sudo the caller may be the agent; its `PATH` must not choose which
/// `ssh-keygen` checks a signature, nor its `~/.gitconfig` run a hook.
public struct ChildEnvironment: Sendable, Equatable {
  /// Where tools are found when `[tools] path` is not set.
  public static let safeSearchPath = [
    "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
  ]

  /// Proxies and certificate authorities: what a company network needs for
  /// git, curl, uv and pip to reach the upstream and the package index.
  public static let networkVariables = [
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "PIP_CERT",
  ]

  public var searchPath: [String]
  /// `HOME` for children; nil leaves it unset.
  public var home: String?
  /// The caller's variables that pass (the network settings, `SSH_AUTH_SOCK`).
  public var inherited: [String: String]

  public init(searchPath: [String] = safeSearchPath, home: String? = nil, inherited: [String: String] = [:]) {
    self.searchPath = searchPath
    self.home = home
    self.inherited = inherited
  }

  /// The environment for a home: its search path and child `HOME`, and the
  /// allow-listed variables of `caller`.
  public static func forHome(searchPath: [String], home: String, caller: [String: String]? = nil)
    -> ChildEnvironment
  {
    var inherited: [String: String] = [:]
    for name in networkVariables + ["SSH_AUTH_SOCK"] {
      let value = caller.map { $0[name] } ?? getenv(name).map { String(cString: $0) }
      if let value, !value.isEmpty { inherited[name] = value }
    }
    return ChildEnvironment(searchPath: searchPath, home: home, inherited: inherited)
  }

  /// The variables of one child: built from nothing, so secrets and hostile
  /// variables (GIT_*, LD_PRELOAD, PYTHONPATH, UV_*, PIP_*) never leak in;
  /// `extra` (the command's own) comes last.
  public func variables(adding extra: [String: String] = [:]) -> [String: String] {
    var result: [String: String] = ["LC_ALL": "C", "LANG": "C", "PATH": searchPath.joined(separator: ":")]
    if let home { result["HOME"] = home }
    if let account = getpwuid(geteuid()) {
      let name = String(cString: account.pointee.pw_name)
      result["USER"] = name
      result["LOGNAME"] = name
    }
    for (key, value) in inherited { result[key] = value }
    for (key, value) in extra { result[key] = value }
    return result
  }

  /// The first executable called `name` on the search path, unchecked;
  /// nil when there is none. A name with a `/` is itself.
  public func find(_ name: String) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    for directory in searchPath where directory.hasPrefix("/") {
      let candidate = directory + "/" + name
      if access(candidate, X_OK) == 0, !FileIO.isDirectory(candidate) { return candidate }
    }
    return nil
  }

  /// The program a child will run: found on the search path (a relative
  /// name with a `/` is taken from `workingDirectory`), resolved to its real
  /// path, and refused (exit 5) unless only root or a0's user could have put
  /// it there. The real path is what is run, so no link on the way can be
  /// repointed between the check and the start.
  public func locate(_ name: String, workingDirectory: String? = nil) throws(A0Error) -> String {
    let candidate: String
    if name.hasPrefix("/") {
      candidate = name
    } else if name.contains("/") {
      candidate = (workingDirectory ?? FileIO.currentDirectory()) + "/" + name
    } else {
      guard let found = find(name) else {
        throw A0Error(
          .operationFailed, "cannot find \(name)",
          why: "it is not on the tool search path (\(searchPath.joined(separator: ":")))",
          next: "Install it, or add its directory to [tools] path in config.toml")
      }
      candidate = found
    }
    guard access(candidate, X_OK) == 0, let real = FileIO.realPath(candidate) else {
      throw A0Error(
        .operationFailed, "cannot run \(candidate)", why: FileIO.errnoText(),
        next: "Check that it exists and is executable")
    }
    if let problem = TrustedPath.executableViolation(real) {
      throw A0Error(
        .integrityViolation, "a0 will not run \(candidate)", why: problem,
        next: "Install it where only root or a0's user may write, or fix [tools] path in config.toml")
    }
    return real
  }
}

extension ChildEnvironment {
  /// Marks each child a0 will stop itself (not a service it starts on
  /// purpose) with the home and the a0 process that started it. A child
  /// started just before a0 was killed may not be in the lock file yet;
  /// recovery finds it by this mark.
  public static let holderVariable = "A0_HOLDER"

  /// `holderVariable`'s value for children of this process, for a home's environment.
  public var holderMark: String? { home.map { "\($0):\(getpid())" } }

  /// The command's own variables plus the holder mark.
  public func marking(_ spec: CommandLineSpec) -> CommandLineSpec {
    var marked = spec
    if let holderMark { marked.environment[Self.holderVariable] = holderMark }
    return marked
  }

  /// Process groups of the processes of this user that carry `holder`'s
  /// mark for this environment's home: what a dead a0 left running.
  public func orphanGroups(ofHolder holder: Int32) -> [Int32] {
    guard let home, holder > 0, holder != getpid() else { return [] }
    let needle = Array("\(Self.holderVariable)=\(home):\(holder)".utf8) + [0]
    var groups: Set<Int32> = []
    for name in (try? FileIO.listDirectory("/proc")) ?? [] {
      guard let pid = Int32(name), pid != getpid(),
        let environ = try? FileIO.read("/proc/\(name)/environ"),
        (environ.split(separator: 0).contains { Array($0) + [0] == needle })
      else { continue }
      let group = getpgid(pid)
      if group > 1 { groups.insert(group) }
    }
    return groups.sorted()
  }
}
