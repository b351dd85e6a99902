import A0Core

/// `a0 --home DIR COMMAND …`: a home named before the command is pinned.
/// A sudo rule that lets the agent run `/usr/local/bin/a0 --home /srv/a0 *`
/// then cannot be pointed at another home: giving `--home` again is a
/// usage error (exit 64), not a choice between two. sudo matches the
/// arguments joined by spaces, so a pinned home may hold no whitespace
/// (`"/srv/a0 /../elsewhere"` would match the rule), and the commands that
/// are not about the home — creating one, hashing any directory, reading
/// sudo rules from a file — do not run on a pinned home.
enum HomePin {
  static let commandsNotOnAPinnedHome: Set = ["init", "tree-hash", "doctor"]

  /// The arguments with a leading `--home DIR` (or `--home=DIR`) moved
  /// after the command's name, where the command's parser reads it.
  static func apply(_ arguments: [String]) throws(A0Error) -> [String] {
    guard let first = arguments.first, first == "--home" || first.hasPrefix("--home=") else {
      return arguments
    }
    let home: String
    var rest: ArraySlice<String>
    if first == "--home" {
      guard arguments.count > 1, !arguments[1].isEmpty else {
        throw A0Error(.usage, "--home needs a directory", next: "Run `a0 --home DIR COMMAND …`")
      }
      home = arguments[1]
      rest = arguments.dropFirst(2)
    } else {
      home = String(first.dropFirst("--home=".count))
      rest = arguments.dropFirst()
    }
    if home.contains(where: \.isWhitespace) || home.unicodeScalars.contains(where: { $0.value < 0x20 }) {
      throw A0Error(
        .usage, "a pinned home may not contain whitespace or control characters",
        why: "sudo matches a rule against the arguments joined by spaces",
        next: "Name the home's directory itself")
    }
    if let command = rest.first, commandsNotOnAPinnedHome.contains(command) {
      throw A0Error(
        .usage, "`a0 \(command)` does not run on a pinned home",
        why: "a home named before the command is how a sudo rule lends a0's user to the agent; "
          + "\(command) is not about that home",
        next: "Run `a0 \(command) --home DIR` as the home's owner")
    }
    let options = rest.prefix { $0 != "--" }
    if options.contains(where: { $0 == "--home" || $0.hasPrefix("--home=") }) {
      throw A0Error(
        .usage, "--home is given twice", why: "a home named before the command is pinned: \(home)",
        next: "Name the home once, before the command")
    }
    let end = rest.firstIndex(of: "--") ?? rest.endIndex
    rest.insert(contentsOf: ["--home", home], at: end)
    return Array(rest)
  }
}
