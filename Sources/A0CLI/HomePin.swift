import A0Core

/// `a0 --home DIR COMMAND …`: a home named before the command is pinned.
/// A sudo rule that lets the agent run `/usr/local/bin/a0 --home /srv/a0 *`
/// then cannot be pointed at another home: giving `--home` again is a
/// usage error (exit 64), not a choice between two.
enum HomePin {
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
