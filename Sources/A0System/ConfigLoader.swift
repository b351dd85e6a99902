import A0Core
import TOMLKit

/// Reads `.billy/config.toml` strictly: unknown tables and keys, wrong types
/// and bad values are errors naming the key (exit 65). Missing keys take the
/// defaults `a0 init` writes, except `upstream.url`, which has none.
public enum ConfigLoader {
  public static func load(path: String) throws(A0Error) -> Config {
    guard let bytes = try FileIO.read(path, followLinks: false) else {
      throw A0Error(
        .badInput, "the configuration \(path) is missing",
        next: "Restore it from a backup, or write one like the example in the README")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw A0Error(.badInput, "the configuration \(path) is not valid UTF-8")
    }
    return try parse(text, path: path)
  }

  public static func parse(_ text: String, path: String = "config.toml") throws(A0Error) -> Config {
    if let mismatch = TOMLBrackets.firstMismatch(text) {
      throw A0Error(
        .badInput, "\(path) is not valid TOML",
        why:
          "a bracket closes the other kind, or a table header has no key, at line \(mismatch.line), column \(mismatch.column)",
        next: "Fix the file and run the command again")
    }
    let table: TOMLTable
    do {
      table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw A0Error(
        .badInput, "\(path) is not valid TOML",
        why: "\(error.description) at line \(error.source.begin.line), column \(error.source.begin.column)",
        next: "Fix the file and run the command again")
    } catch {
      throw A0Error(.badInput, "\(path) is not valid TOML", why: "\(error)")
    }
    var reader = TableReader(table: table, path: path)
    return try reader.read()
  }
}

private struct TableReader {
  let table: TOMLTable
  let path: String

  func bad(_ key: String, _ why: String) -> A0Error {
    A0Error(.badInput, "\(path): \(key) \(why)", next: "Fix the key in \(path) and run the command again")
  }

  func section(_ name: String, keys: Set<String>) throws(A0Error) -> TOMLTable? {
    guard let value = table[name] else { return nil }
    guard let section = value.table else { throw bad(name, "must be a table") }
    for key in section.keys.sorted() where !keys.contains(key) {
      throw bad("\(name).\(key)", "is not a known key")
    }
    return section
  }

  func string(_ section: TOMLTable?, _ name: String, _ key: String, default fallback: String?) throws(A0Error)
    -> String
  {
    guard let value = section?[key] else {
      guard let fallback else { throw bad("\(name).\(key)", "is required") }
      return fallback
    }
    guard let text = value.string else { throw bad("\(name).\(key)", "must be a string") }
    guard !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
      throw bad("\(name).\(key)", "must not contain NUL")
    }
    return text
  }

  func integer(
    _ section: TOMLTable?, _ name: String, _ key: String, default fallback: Int, range: ClosedRange<Int>
  )
    throws(A0Error) -> Int
  {
    guard let value = section?[key] else { return fallback }
    guard let number = value.int else { throw bad("\(name).\(key)", "must be an integer") }
    guard range.contains(number) else {
      throw bad(
        "\(name).\(key)", "must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
    }
    return number
  }

  func boolean(_ section: TOMLTable?, _ name: String, _ key: String, default fallback: Bool) throws(A0Error)
    -> Bool
  {
    guard let value = section?[key] else { return fallback }
    guard let flag = value.bool else { throw bad("\(name).\(key)", "must be true or false") }
    return flag
  }

  func strings(_ section: TOMLTable?, _ name: String, _ key: String, default fallback: [String])
    throws(A0Error)
    -> [String]
  {
    guard let value = section?[key] else { return fallback }
    guard let array = value.array else { throw bad("\(name).\(key)", "must be an array of strings") }
    var items: [String] = []
    for item in array {
      guard let text = item.string else { throw bad("\(name).\(key)", "must be an array of strings") }
      items.append(text)
    }
    return items
  }

  func command(
    _ section: TOMLTable?, _ name: String, _ key: String, default fallback: [String], allowEmpty: Bool
  )
    throws(A0Error) -> [String]
  {
    let items = try strings(section, name, key, default: fallback)
    if items.isEmpty && !allowEmpty { throw bad("\(name).\(key)", "must name a program") }
    if let first = items.first, first.isEmpty { throw bad("\(name).\(key)", "must name a program") }
    return items
  }

  func enumeration<Value: RawRepresentable & CaseIterable>(
    _ section: TOMLTable?, _ name: String, _ key: String, default fallback: Value
  ) throws(A0Error) -> Value where Value.RawValue == String {
    let text = try string(section, name, key, default: fallback.rawValue)
    guard let value = Value(rawValue: text) else {
      let allowed = Value.allCases.map(\.rawValue).joined(separator: " | ")
      throw bad("\(name).\(key)", "must be one of \(allowed), not \"\(text)\"")
    }
    return value
  }

  mutating func read() throws(A0Error) -> Config {
    let known = [
      "upstream", "production", "python", "data", "validation", "service", "retention", "humans", "agent",
      "tools", "policy", "notify",
    ]
    for key in table.keys.sorted() where !known.contains(key) {
      throw bad(key, "is not a known table")
    }
    let upstream = try section("upstream", keys: ["url", "github_api", "timeout_seconds"])
    let url = try string(upstream, "upstream", "url", default: nil)
    guard ConfigRules.isValidUpstreamURL(url) else {
      throw bad(
        "upstream.url",
        "must be an https://, ssh://, file:// URL, user@host:path or an absolute path (git runs no other transport)"
      )
    }
    var config = Config.defaults(upstream: url, link: "agent-zero")
    config.upstream.githubAPI = try string(
      upstream, "upstream", "github_api", default: Config.githubAPIDefault(for: url))
    if !config.upstream.githubAPI.isEmpty {
      let api = config.upstream.githubAPI.lowercased()
      guard api.hasPrefix("https://") || api.hasPrefix("http://") else {
        throw bad("upstream.github_api", "must be an http(s) URL or \"\"")
      }
    }
    config.upstream.timeoutSeconds = try integer(
      upstream, "upstream", "timeout_seconds", default: 60, range: 1...3600)
    try readProduction(into: &config)
    try readPython(into: &config)
    try readData(into: &config)
    try readValidation(into: &config)
    try readService(into: &config)
    try readRetention(into: &config)
    try readHumans(into: &config)
    try readAgent(into: &config)
    try readTools(into: &config)
    try readPolicy(into: &config)
    try readNotify(into: &config)
    return config
  }

  mutating func readProduction(into config: inout Config) throws(A0Error) {
    let production = try section("production", keys: ["link"])
    config.production.link = try string(production, "production", "link", default: "agent-zero")
    guard ConfigRules.isValidLinkName(config.production.link) else {
      throw bad(
        "production.link",
        "must be one plain file name (letters, digits, - _ .), not \"\(config.production.link)\"")
    }
  }

  mutating func readPython(into config: inout Config) throws(A0Error) {
    let python = try section(
      "python",
      keys: [
        "interpreter", "installer", "requirements", "overrides", "install_args", "allow_source_builds",
        "source_builds", "wheelhouse", "install_timeout_seconds",
      ])
    config.python.interpreter = try string(
      python, "python", "interpreter", default: config.python.interpreter)
    if config.python.interpreter.isEmpty || config.python.interpreter.hasPrefix("-") {
      throw bad("python.interpreter", "must name an interpreter")
    }
    config.python.installer = try enumeration(python, "python", "installer", default: config.python.installer)
    config.python.requirements = try strings(
      python, "python", "requirements", default: config.python.requirements)
    for requirement in config.python.requirements where !ConfigRules.isValidLinkedPath(requirement) {
      throw bad("python.requirements", "must hold relative paths inside the release, not \"\(requirement)\"")
    }
    // Keys newer than a home's file are off when absent: the file says what its operator chose.
    config.python.overrides = try strings(python, "python", "overrides", default: [])
    for file in config.python.overrides where !ConfigRules.isValidLinkedPath(file) {
      throw bad("python.overrides", "must hold relative paths inside the release, not \"\(file)\"")
    }
    config.python.installArgs = try strings(python, "python", "install_args", default: [])
    config.python.allowSourceBuilds = try boolean(python, "python", "allow_source_builds", default: false)
    let sourceBuilds = try strings(python, "python", "source_builds", default: [])
    for name in sourceBuilds where !PackageName.isValid(name) {
      throw bad("python.source_builds", "must hold package names, not \"\(name)\"")
    }
    config.python.sourceBuilds = sourceBuilds.map(PackageName.normalized)
    config.python.wheelhouse = try string(python, "python", "wheelhouse", default: "")
    config.python.installTimeoutSeconds = try integer(
      python, "python", "install_timeout_seconds", default: 1800, range: 1...86_400)
  }

  mutating func readData(into config: inout Config) throws(A0Error) {
    let data = try section("data", keys: ["linked_paths"])
    config.data.linkedPaths = try strings(data, "data", "linked_paths", default: config.data.linkedPaths)
    for linked in config.data.linkedPaths where !ConfigRules.isValidLinkedPath(linked) {
      throw bad("data.linked_paths", "must hold relative paths inside the release, not \"\(linked)\"")
    }
  }

  mutating func readValidation(into config: inout Config) throws(A0Error) {
    let validation = try section(
      "validation",
      keys: [
        "required_files", "import_modules", "import_timeout_seconds", "check_timeout_seconds", "config_files",
        "pip_check", "custom_checks",
      ])
    config.validation.requiredFiles = try strings(
      validation, "validation", "required_files", default: config.validation.requiredFiles)
    config.validation.importModules = try strings(
      validation, "validation", "import_modules", default: config.validation.importModules)
    for module in config.validation.importModules where !Self.isModuleName(module) {
      throw bad("validation.import_modules", "must hold Python module names, not \"\(module)\"")
    }
    config.validation.importTimeoutSeconds = try integer(
      validation, "validation", "import_timeout_seconds", default: 60, range: 1...3600)
    config.validation.checkTimeoutSeconds = try integer(
      validation, "validation", "check_timeout_seconds", default: 300, range: 1...86_400)
    config.validation.configFiles = try strings(validation, "validation", "config_files", default: [])
    for file in config.validation.configFiles where !ConfigRules.isValidLinkedPath(file) {
      throw bad("validation.config_files", "must hold relative paths, not \"\(file)\"")
    }
    config.validation.pipCheck = try enumeration(validation, "validation", "pip_check", default: .warn)
    if let checks = validation?["custom_checks"] {
      guard let array = checks.array else {
        throw bad("validation.custom_checks", "must be an array of commands")
      }
      var commands: [[String]] = []
      for item in array {
        guard let inner = item.array else {
          throw bad("validation.custom_checks", "must be an array of commands")
        }
        var command: [String] = []
        for part in inner {
          guard let text = part.string else {
            throw bad("validation.custom_checks", "must be an array of arrays of strings")
          }
          command.append(text)
        }
        guard let program = command.first, !program.isEmpty else {
          throw bad("validation.custom_checks", "has an empty command")
        }
        commands.append(command)
      }
      config.validation.customChecks = commands
    }
  }

  mutating func readService(into config: inout Config) throws(A0Error) {
    let service = try section(
      "service",
      keys: [
        "start", "health_path", "restart", "stop", "running", "restart_timeout_seconds", "health_url",
        "health_version",
        "health_timeout_seconds",
        "health_interval_seconds", "stable_seconds",
      ])
    config.service.start = try command(
      service, "service", "start", default: config.service.start, allowEmpty: false)
    config.service.healthPath = try string(
      service, "service", "health_path", default: config.service.healthPath)
    guard config.service.healthPath.hasPrefix("/") else {
      throw bad("service.health_path", "must start with /")
    }
    config.service.restart = try command(
      service, "service", "restart", default: config.service.restart, allowEmpty: false)
    config.service.stop = try command(service, "service", "stop", default: [], allowEmpty: true)
    config.service.running = try command(service, "service", "running", default: [], allowEmpty: true)
    config.service.restartTimeoutSeconds = try integer(
      service, "service", "restart_timeout_seconds", default: 60, range: 1...3600)
    config.service.healthURL = try string(service, "service", "health_url", default: config.service.healthURL)
    guard config.service.healthURL.lowercased().hasPrefix("http://") else {
      throw bad("service.health_url", "must be an http:// URL")
    }
    config.service.healthVersion = try string(service, "service", "health_version", default: "")
    guard HealthVersion(path: config.service.healthVersion) != nil else {
      throw bad(
        "service.health_version", "must be \"\" or a dotted path of JSON keys, like \"gitinfo.short_tag\"")
    }
    config.service.healthTimeoutSeconds = try integer(
      service, "service", "health_timeout_seconds", default: 120, range: 1...3600)
    config.service.healthIntervalSeconds = try integer(
      service, "service", "health_interval_seconds", default: 2, range: 1...600)
    config.service.stableSeconds = try integer(
      service, "service", "stable_seconds", default: 10, range: 0...3600)
  }

  mutating func readRetention(into config: inout Config) throws(A0Error) {
    let retention = try section("retention", keys: ["keep"])
    config.retention.keep = try integer(retention, "retention", "keep", default: 3, range: 1...1000)
  }

  mutating func readHumans(into config: inout Config) throws(A0Error) {
    let humans = try section("humans", keys: ["proof", "allowed_signers", "approval_ttl_hours", "four_eyes"])
    config.humans.proof = try enumeration(humans, "humans", "proof", default: .tty)
    config.humans.allowedSigners = try string(humans, "humans", "allowed_signers", default: "allowed_signers")
    config.humans.approvalTTLHours = try integer(
      humans, "humans", "approval_ttl_hours", default: 24, range: 1...720)
    config.humans.fourEyes = try boolean(humans, "humans", "four_eyes", default: false)
  }

  mutating func readAgent(into config: inout Config) throws(A0Error) {
    let agent = try section("agent", keys: ["name"])
    config.agent.name = try string(agent, "agent", "name", default: "agent-zero")
    guard ConfigRules.isValidLinkName(config.agent.name) else {
      throw bad("agent.name", "must be a plain name (letters, digits, - _ .)")
    }
  }

  mutating func readTools(into config: inout Config) throws(A0Error) {
    let tools = try section("tools", keys: ["path"])
    if tools?["path"] != nil {
      let text = try string(tools, "tools", "path", default: nil)
      guard let directories = ConfigRules.toolDirectories(text) else {
        throw bad("tools.path", "must list absolute directories separated by \":\", not \"\(text)\"")
      }
      config.tools.path = directories
    }
  }

  /// `[notify]`: absent, notifications are off.
  mutating func readNotify(into config: inout Config) throws(A0Error) {
    let notify = try section("notify", keys: ["command", "events", "timeout_seconds"])
    config.notify.command = try command(notify, "notify", "command", default: [], allowEmpty: true)
    config.notify.events = try strings(notify, "notify", "events", default: NotificationName.defaults)
    for event in config.notify.events where !NotificationName.all.contains(event) {
      throw bad(
        "notify.events",
        "must name events of \(NotificationName.all.joined(separator: ", ")), not \"\(event)\"")
    }
    config.notify.timeoutSeconds = try integer(
      notify, "notify", "timeout_seconds", default: 30, range: 1...600)
  }

  /// `[policy]`: absent keys keep what a0 did before the table existed.
  mutating func readPolicy(into config: inout Config) throws(A0Error) {
    let policy = try section(
      "policy", keys: ["track", "allow_prerelease", "min_release_age_hours", "promote_windows", "time_zone"])
    config.policy.track = try enumeration(policy, "policy", "track", default: .any)
    if policy?["allow_prerelease"] != nil {
      config.policy.allowPrerelease = try boolean(policy, "policy", "allow_prerelease", default: false)
    }
    config.policy.minReleaseAgeHours = try integer(
      policy, "policy", "min_release_age_hours", default: 0, range: 0...8760)
    var windows: [PromoteWindow] = []
    for text in try strings(policy, "policy", "promote_windows", default: []) {
      guard let window = PromoteWindow(text) else {
        throw bad("policy.promote_windows", "\"\(text)\" is not a window: write \(PromoteWindow.grammar)")
      }
      windows.append(window)
    }
    let zone = try string(policy, "policy", "time_zone", default: "local")
    guard TimeZones.isKnown(zone) else {
      throw bad(
        "policy.time_zone",
        "must be \"local\" (the host's /etc/localtime), \"UTC\" or a zone of \(TimeZones.database) such as \"Europe/Berlin\", not \"\(zone)\""
      )
    }
    config.policy.promoteSchedule = PromoteSchedule(windows: windows, timeZone: zone)
  }

  static func isModuleName(_ name: String) -> Bool {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    return !parts.isEmpty
      && parts.allSatisfy { part in
        guard let first = part.unicodeScalars.first,
          first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return part.unicodeScalars.allSatisfy {
          $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
      }
  }
}
