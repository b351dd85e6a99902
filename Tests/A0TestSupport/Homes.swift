import A0Core
import A0Lifecycle
import A0System
import Foundation

extension TestHome {
  /// A home on a local upstream, made through the real `a0 init`.
  public static func initialise(in directory: String, upstream: String, name: String = "agent-zero") throws
    -> HomePaths
  {
    let root = directory + "/home"
    let result = try A0Binary.run(["init", "--upstream", upstream, "--home", root, "--name", name])
    guard result.status == 0 else { throw FixtureError(message: result.stderr) }
    return HomePaths(root: root)
  }

  /// Rewrites config keys (`section.key = value` lines, values in TOML).
  public static func configure(_ paths: HomePaths, _ settings: [String: String]) throws {
    var text = read(paths.config)
    for (dotted, value) in settings {
      let parts = dotted.split(separator: ".", maxSplits: 1).map(String.init)
      let (section, key) = (parts[0], parts[1])
      var lines = text.components(separatedBy: "\n")
      if !lines.contains(where: { $0.hasPrefix("[\(section)]") }) { lines += ["[\(section)]", ""] }
      guard let header = lines.firstIndex(where: { $0.hasPrefix("[\(section)]") }) else {
        throw FixtureError(message: "no [\(section)]")
      }
      var end = lines[(header + 1)...].firstIndex { $0.hasPrefix("[") } ?? lines.count
      if let existing = lines[(header + 1)..<end].firstIndex(where: {
        $0.hasPrefix(key + " ") || $0.hasPrefix(key + "=")
      }) {
        lines[existing] = "\(key) = \(value)"
      } else {
        lines.insert("\(key) = \(value)", at: end)
        end += 1
      }
      text = lines.joined(separator: "\n")
    }
    try write(paths.config, text)
  }

  /// Records what production runs, as a promotion would.
  public static func setProduction(_ paths: HomePaths, version: String) throws {
    let info = ProductionInfo(
      version: version, commitSHA: String(repeating: "a", count: 40), buildID: "build-\(version)",
      treeHash: String(repeating: "b", count: 64), deployedAt: "2026-11-25T09:00:00.000Z")
    try write(paths.versionFile, info.json.prettyString)
  }
}
