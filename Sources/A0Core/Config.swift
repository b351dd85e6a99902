/// `.billy/config.toml` (DESIGN.md §8) as values. Commands are argument
/// arrays; `{python}`, `{app}`, `{port}` and `{version}` are substituted
/// by a0, never by a shell.
public struct Config: Equatable, Sendable {
  public enum Installer: String, CaseIterable, Sendable { case auto, uv, pip, none }
  public enum ProofMode: String, CaseIterable, Sendable {
    case tty
    case sshSignature = "ssh-signature"
  }
  public enum PipCheck: String, CaseIterable, Sendable { case fail, warn, off }

  public struct Upstream: Equatable, Sendable {
    public var url: String
    public var githubAPI: String
    public var timeoutSeconds: Int
  }
  public struct Production: Equatable, Sendable {
    public var link: String
  }
  public struct Python: Equatable, Sendable {
    public var interpreter: String
    public var installer: Installer
    public var requirements: [String]
    /// Requirement files installed with `requirements` and taking precedence
    /// over them (Agent Zero's `requirements2.txt`).
    public var overrides: [String] = []
    public var installArgs: [String]
    /// Let the installer build every package from source, which runs upstream code at install time.
    public var allowSourceBuilds: Bool
    /// Packages (PEP 503 names) built from source, even when a wheel exists; all others come as wheels.
    public var sourceBuilds: [String] = []
    public var wheelhouse: String
    public var installTimeoutSeconds: Int
  }
  public struct Data: Equatable, Sendable {
    public var linkedPaths: [String]
  }
  public struct Validation: Equatable, Sendable {
    public var requiredFiles: [String]
    public var importModules: [String]
    public var importTimeoutSeconds: Int
    public var checkTimeoutSeconds: Int
    public var configFiles: [String]
    public var pipCheck: PipCheck
    public var customChecks: [[String]]
  }
  public struct Service: Equatable, Sendable {
    public var start: [String]
    public var healthPath: String
    public var restart: [String]
    public var stop: [String]
    /// Exits 0 while the service runs; asked between health probes, so a
    /// service that died at start fails the gate at once. Empty: not asked.
    public var running: [String] = []
    public var restartTimeoutSeconds: Int
    public var healthURL: String
    /// A dotted path into the health answer's JSON whose value must equal
    /// the version being checked; "" accepts any healthy answer.
    public var healthVersion: String = ""
    public var healthTimeoutSeconds: Int
    public var healthIntervalSeconds: Int
    public var stableSeconds: Int
  }
  public struct Retention: Equatable, Sendable {
    public var keep: Int
  }
  public struct Humans: Equatable, Sendable {
    public var proof: ProofMode
    public var allowedSigners: String
    public var approvalTTLHours: Int
    public var fourEyes: Bool
  }
  public struct Agent: Equatable, Sendable {
    public var name: String
  }
  public struct Tools: Equatable, Sendable {
    /// Absolute directories where a0 finds git, ssh-keygen, curl, uv, pip
    /// and the interpreter; nil: the sbin and bin directories of /usr/local, /usr and /.
    public var path: [String]?
  }

  public var upstream: Upstream
  public var production: Production
  public var python: Python
  public var data: Data
  public var validation: Validation
  public var service: Service
  public var retention: Retention
  public var humans: Humans
  public var agent: Agent
  public var tools = Tools(path: nil)
  public var policy = UpdatePolicy()
  public var notify = Notify()

  /// `[notify]`: a command run once per matching journal event.
  public struct Notify: Equatable, Sendable {
    /// An argument array; empty turns notifications off.
    public var command: [String] = []
    public var events: [String] = NotificationName.defaults
    public var timeoutSeconds = 30
  }

  /// The Agent Zero defaults `a0 init` writes.
  public static func defaults(upstream url: String, link: String) -> Config {
    Config(
      upstream: Upstream(url: url, githubAPI: githubAPIDefault(for: url), timeoutSeconds: 60),
      production: Production(link: link),
      python: Python(
        interpreter: "python3.12", installer: .auto, requirements: ["requirements.txt"],
        overrides: ["requirements2.txt"], installArgs: [], allowSourceBuilds: false,
        sourceBuilds: AgentZero.sourceBuilds, wheelhouse: "", installTimeoutSeconds: 1800),
      data: Data(linkedPaths: AgentZero.linkedPaths),
      validation: Validation(
        requiredFiles: ["agent.py", "initialize.py", "run_ui.py", "requirements.txt"],
        importModules: ["agent", "initialize"], importTimeoutSeconds: 60, checkTimeoutSeconds: 300,
        configFiles: [], pipCheck: .warn, customChecks: []),
      service: Service(
        start: ["{python}", "run_ui.py", "--port", "{port}", "--host", "127.0.0.1"],
        healthPath: "/api/health",
        restart: ["systemctl", "restart", "agent-zero"], stop: [], restartTimeoutSeconds: 60,
        healthURL: "http://127.0.0.1:50001/api/health", healthVersion: "gitinfo.short_tag",
        healthTimeoutSeconds: 120, healthIntervalSeconds: 2,
        stableSeconds: 10),
      retention: Retention(keep: 3),
      humans: Humans(proof: .tty, allowedSigners: "allowed_signers", approvalTTLHours: 24, fourEyes: false),
      agent: Agent(name: "agent-zero"))
  }

  /// GitHub upstreams get the REST API as a second channel for tag SHAs.
  public static func githubAPIDefault(for url: String) -> String {
    let lowered = url.lowercased()
    let isGitHub =
      lowered.hasPrefix("https://github.com/") || lowered.hasPrefix("git@github.com:")
      || lowered.hasPrefix("ssh://git@github.com/")
    return isGitHub ? "https://api.github.com" : ""
  }

  /// The file `a0 init` writes: every key, with the reasons operators need.
  public var toml: String {
    func string(_ text: String) -> String { TOMLText.quote(text) }
    func array(_ items: [String]) -> String { "[" + items.map(string).joined(separator: ", ") + "]" }
    func arrays(_ items: [[String]]) -> String { "[" + items.map(array).joined(separator: ", ") + "]" }
    return """
      # a0 configuration. Commands are argument arrays, never shell strings;
      # {python}, {app}, {port} and {version} are substituted by a0.

      [upstream]
      url = \(string(upstream.url))
      github_api = \(string(upstream.githubAPI))   # second channel for tag SHAs; "" turns it off
      timeout_seconds = \(upstream.timeoutSeconds)           # ls-remote, clone, API calls

      [production]
      link = \(string(production.link))            # <home>/\(production.link) -> the release in production

      [python]
      interpreter = \(string(python.interpreter))
      installer = \(string(python.installer.rawValue))             # auto | uv | pip | none
      requirements = \(array(python.requirements))
      overrides = \(array(python.overrides))     # installed with requirements, taking precedence over them
      install_args = \(array(python.installArgs))             # the installer's other options; uv reads no config file, so an index goes here
      source_builds = \(array(python.sourceBuilds))   # always built from source (runs their build code as this user); all else from wheels only
      allow_source_builds = \(python.allowSourceBuilds)          # true builds any package from source
      wheelhouse = \(string(python.wheelhouse))                # when set: offline install from this directory
      install_timeout_seconds = \(python.installTimeoutSeconds)

      [data]                         # user data kept in .billy/shared/, linked into each release
      linked_paths = \(array(data.linkedPaths))

      [validation]
      required_files = \(array(validation.requiredFiles))
      import_modules = \(array(validation.importModules))
      import_timeout_seconds = \(validation.importTimeoutSeconds)
      check_timeout_seconds = \(validation.checkTimeoutSeconds)    # every other check, each
      config_files = \(array(validation.configFiles))
      pip_check = \(string(validation.pipCheck.rawValue))             # fail | warn | off
      custom_checks = \(arrays(validation.customChecks))

      [service]
      start = \(array(service.start))  # health dry-run
      health_path = \(string(service.healthPath))
      restart = \(array(service.restart))
      stop = \(array(service.stop))                      # optional
      running = \(array(service.running))                   # optional: exits 0 while the service runs, e.g. ["systemctl", "is-active", "--quiet", "agent-zero"]
      restart_timeout_seconds = \(service.restartTimeoutSeconds)
      health_url = \(string(service.healthURL))
      health_version = \(string(service.healthVersion))   # JSON path in the health answer that must equal the version; "" turns it off
      health_timeout_seconds = \(service.healthTimeoutSeconds)
      health_interval_seconds = \(service.healthIntervalSeconds)       # longest pause; probes start 50 ms apart
      stable_seconds = \(service.stableSeconds)                # healthy this long, continuously, to pass

      [retention]
      keep = \(retention.keep)

      [humans]
      proof = \(string(humans.proof.rawValue))                  # tty | ssh-signature
      allowed_signers = \(string(humans.allowedSigners))   # relative to .billy/
      approval_ttl_hours = \(humans.approvalTTLHours)
      four_eyes = \(humans.fourEyes)                 # true: a human may not approve their own request

      [agent]
      name = \(string(agent.name))

      [notify]
      command = []                  # e.g. ["curl", "-fsS", "-d", "@-", "https://ntfy.example/a0"]: the event's JSON on stdin
      events = \(array(notify.events))
      timeout_seconds = \(notify.timeoutSeconds)

      [policy]
      track = \(string(policy.track.rawValue))                 # any | major | minor | patch: how far from production a version may be
      \(policy.allowPrerelease.map { "allow_prerelease = \($0)        " } ?? "# allow_prerelease = false  ")# absent: --allow-prerelease decides; false: never; true: always offered
      min_release_age_hours = \(policy.minReleaseAgeHours)     # hours after the release (its commit, or an annotated tag's later date) before it is offered; 0: at once
      promote_windows = \(array(policy.promoteSchedule.windows.map(\.description)))           # e.g. ["Sat 02:00-05:00", "weekdays 03:00-04:00"]: when a promotion may start; [] = any time; rollbacks never wait
      time_zone = \(string(policy.promoteSchedule.timeZone))             # the windows' zone: local (/etc/localtime, never the caller's TZ) | UTC | e.g. Europe/Berlin
      \(tools.path.map { """

        [tools]
        path = \(string($0.joined(separator: ":")))   # where a0 finds git, ssh-keygen, uv, pip and the interpreter; never the caller's PATH

        """ } ?? "")
      """
  }
}

/// TOML basic strings, escaped so any value round-trips.
public enum TOMLText {
  public static func quote(_ text: String) -> String {
    var output = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\t": output += "\\t"
      case "\r": output += "\\r"
      case let control where control.value < 0x20 || control.value == 0x7F:
        let hex = String(control.value, radix: 16, uppercase: true)
        output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: output.unicodeScalars.append(scalar)
      }
    }
    return output + "\""
  }
}

/// Checks of single configuration values, shared by the loader and `init`.
public enum ConfigRules {
  /// The production link is one path component inside the home.
  public static func isValidLinkName(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.count <= 100 && name != "." && name != ".." && !name.hasPrefix(".")
      && !name.hasPrefix("-")
      && name.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII
          && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
            || "-_.".unicodeScalars.contains(scalar))
      }
  }

  /// An upstream a0 may pass to git: a URL of a known scheme, an scp-like
  /// `user@host:path`, or an absolute local path. Never an option, never
  /// a control character, never git's `ext::` transport.
  public static func isValidUpstreamURL(_ url: String) -> Bool {
    guard !url.isEmpty, url.utf8.count <= 2048, !url.hasPrefix("-"),
      !url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == " " })
    else { return false }
    for scheme in ["https://", "ssh://", "file://"]
    where url.lowercased().hasPrefix(scheme) {
      return url.utf8.count > scheme.utf8.count
    }
    if url.hasPrefix("/") { return true }
    // scp-like: user@host:path, host part without slashes, no "::" (transport syntax).
    if let colon = url.firstIndex(of: ":"), !url.contains("::") {
      let host = url[..<colon]
      return !host.isEmpty && !host.contains("/") && url.index(after: colon) < url.endIndex
    }
    return false
  }

  /// A tool search path: `:`-separated absolute directories.
  public static func toolDirectories(_ text: String) -> [String]? {
    let entries = text.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
    guard !entries.isEmpty, entries.allSatisfy({ $0.hasPrefix("/") && !$0.contains("\0") }) else {
      return nil
    }
    return entries
  }

  /// A linked data path: relative, inside the release, `/`-terminated for directories.
  public static func isValidLinkedPath(_ path: String) -> Bool {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    guard !trimmed.isEmpty, !trimmed.hasPrefix("/"), !path.contains("\0") else { return false }
    let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
    return parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." } && parts.first != ".git"
      && parts.first != ".venv"
  }
}
