/// What `sudo -l -U AGENT` says the agent may do, read for `a0 doctor`:
/// the rules that let it act as the home's owner must run a0 with the
/// home pinned (`a0 --home HOME …`), and nothing else, with the
/// environment reset.
public struct SudoRules: Equatable, Sendable {
  /// One command of one rule: `(runAs) TAGS: command`.
  public struct Entry: Equatable, Sendable {
    public var runAs: [String]
    public var tags: [String]
    public var command: String

    public init(runAs: [String], tags: [String], command: String) {
      self.runAs = runAs
      self.tags = tags
      self.command = command
    }
  }

  /// The Defaults lines that apply to the agent (global and per command).
  public var defaults: [String]
  public var entries: [Entry]

  /// Variables that, passed into a0 itself, change what it runs or reads.
  static let dangerousVariables = [
    "A0_HOME", "PATH", "HOME", "LD_", "SWIFT_", "GLIBC_", "MALLOC_", "PYTHON", "GIT_",
  ]

  public init(parsing text: String) {
    var defaults: [String] = []
    var entries: [Entry] = []
    enum Section { case none, defaults, rules }
    var section = Section.none
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = raw.trimmingSpaces
      if line.isEmpty { continue }
      if !raw.hasPrefix(" ") && !raw.hasPrefix("\t") {
        section =
          line.contains("efaults")
          ? .defaults : line.contains("may run the following commands") ? .rules : .none
        continue
      }
      switch section {
      case .defaults: defaults.append(line)
      case .rules: entries += Self.parseRule(line)
      case .none: continue
      }
    }
    self.defaults = defaults
    self.entries = entries
  }

  /// `(a0) NOPASSWD: /usr/local/bin/a0 --home /srv/a0 *, /bin/ls`
  static func parseRule(_ line: String) -> [Entry] {
    guard line.hasPrefix("("), let close = line.firstIndex(of: ")") else { return [] }
    let runAs = line[line.index(after: line.startIndex)..<close].split(separator: ":")[0]
      .split(separator: ",").map { String($0).trimmingSpaces }
    var rest = String(line[line.index(after: close)...]).trimmingSpaces
    var tags: [String] = []
    while let colon = rest.firstIndex(of: ":"), rest[..<colon].allSatisfy({ $0.isUppercase || $0 == "_" }),
      rest.startIndex != colon
    {
      tags.append(String(rest[..<colon]))
      rest = String(rest[rest.index(after: colon)...]).trimmingSpaces
    }
    return rest.split(separator: ",").map {
      Entry(runAs: runAs, tags: tags, command: String($0).trimmingSpaces)
    }
  }

  /// Why these rules let the agent act as `owner` beyond the pinned a0:
  /// each problem says what and why. `binary` is the a0 being checked,
  /// `home` the home it must be pinned to.
  public func problems(owner: String, binary: String, home: String) -> [String] {
    var found: [String] = []
    for entry in entries where entry.runAs.contains(owner) || entry.runAs.contains("ALL") {
      let parts = entry.command.split(separator: " ", maxSplits: 1).map(String.init)
      let program = parts.first ?? ""
      if program == "ALL" {
        found.append("the agent may run any command as \(owner) (\(entry.command))")
        continue
      }
      guard program == binary || program.hasSuffix("/a0") else {
        found.append("the agent may run \(program) as \(owner), which is not a0")
        continue
      }
      let arguments = parts.count > 1 ? parts[1] : ""
      if !(arguments == "--home \(home)" || arguments.hasPrefix("--home \(home) ")
        || arguments == "--home=\(home)" || arguments.hasPrefix("--home=\(home) "))
      {
        found.append(
          "the rule `\(entry.command)` does not pin the home: write it as `\(program) --home \(home) *`")
      }
      if entry.tags.contains("SETENV") {
        found.append("the rule `\(entry.command)` has SETENV: the agent could set a0's environment")
      }
    }
    for line in defaults {
      for item in line.split(separator: ",") {
        var setting = item.trimmingSpaces
        // `Defaults!/usr/local/bin/a0 env_keep+=PATH`: the binding, then the setting.
        if setting.hasPrefix("Defaults"), let space = setting.firstIndex(of: " ") {
          setting = setting[space...].trimmingSpaces
        }
        if setting == "!env_reset" || setting == "setenv" {
          found.append("sudo's Defaults `\(setting)` lets the caller's environment reach a0")
        }
        if setting.hasPrefix("env_keep"), let equals = setting.firstIndex(of: "=") {
          let kept = setting[setting.index(after: equals)...].split(whereSeparator: {
            $0 == " " || $0 == "\""
          })
          for name in kept where Self.dangerousVariables.contains(where: { name.hasPrefix($0) }) {
            found.append("sudo's Defaults keep \(name) for the agent (`\(setting)`)")
          }
        }
      }
    }
    return found
  }
}
