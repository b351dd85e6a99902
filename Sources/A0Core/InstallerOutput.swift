/// What an installer's error output says about packages that come only as
/// source, when a0 required wheels.
public enum InstallerOutput {
  /// The packages the output names as having no usable wheel, normalised,
  /// in order of first mention. uv says so outright; pip only says no
  /// version was found, which with wheels required means the same for a
  /// package that exists.
  public static func packagesWithoutWheels(_ output: String) -> [String] {
    var names: [String] = []
    func add(_ name: Substring) {
      let normalized = PackageName.normalized(String(name))
      if PackageName.isValid(normalized), !names.contains(normalized) { names.append(normalized) }
    }
    for line in output.split(separator: "\n") {
      // uv: "Because flask-basicauth==0.2.0 has no usable wheels and …"
      //     "Wheels are required for `flask-basicauth` because building from source is disabled"
      if let (before, _) = line.splitOnce(at: " has no usable wheels") {
        add((before.split(separator: " ").last ?? "").prefix { !"=<>!~ ".contains($0) })
      }
      if let (_, after) = line.splitOnce(at: "Wheels are required for `") {
        add(after.prefix { $0 != "`" })
      }
      // pip: "Could not find a version that satisfies the requirement name==1.0 (from versions: none)"
      if let (_, after) = line.splitOnce(at: "satisfies the requirement "),
        after.splitOnce(at: "(from versions: none)") != nil
      {
        add(after.prefix { !"=<>!~[; (".contains($0) })
      }
    }
    return names
  }

  /// The `next` step for a failed install that names such packages.
  public static func sourceBuildAdvice(_ names: [String]) -> String? {
    guard !names.isEmpty else { return nil }
    let quoted = names.map { "\"\($0)\"" }.joined(separator: ", ")
    let noun = names.count == 1 ? quoted : "each of " + quoted
    return "add \(noun) to [python] source_builds in config.toml "
      + "(building runs its setup code as this user), after checking that the release needs "
      + (names.count == 1 ? "it" : "them")
      + "; a name that does not exist on the index is a typo in the release"
  }
}
