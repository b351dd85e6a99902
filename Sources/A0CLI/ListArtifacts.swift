import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct ListArtifacts: Operation {
  static let configuration = CommandConfiguration(
    commandName: "list-artifacts",
    abstract: "List the published artifacts, and which is production, known-good and previous.",
    discussion: """
      Read-only; anyone may run it. A build that is not complete is never listed: an artifact exists
      only once its manifest is on disk and its link has been renamed into place.

        $ a0 list-artifacts --json
      """)

  @OptionGroup var global: GlobalOptions

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    let (artifacts, problems) = try Artifacts.list(machine.paths)
    return ArtifactsOutput(
      artifacts: artifacts, roles: ReleaseRoles.read(machine.paths), problems: problems)
  }
}

struct ArtifactsOutput: CommandOutput {
  let artifacts: [ArtifactInfo]
  let roles: ReleaseRoles
  let problems: [String]

  func flags(_ artifact: ArtifactInfo) -> [String] {
    var flags: [String] = []
    if artifact.buildID == roles.production { flags.append("production") }
    if artifact.buildID == roles.knownGood { flags.append("known-good") }
    if artifact.buildID == roles.previous { flags.append("previous") }
    return flags
  }

  var json: JSONValue {
    [
      "artifacts": .array(
        artifacts.map { artifact in
          [
            "version": .string(artifact.version), "build_id": .string(artifact.buildID),
            "commit_sha": .string(artifact.manifest.commitSHA),
            "built_at": .string(artifact.manifest.builtAt),
            "size_bytes": .int(Artifacts.size(of: artifact.buildPath)),
            "tree_hash": .string(artifact.manifest.treeHash),
            "roles": .array(flags(artifact).map(JSONValue.string)),
          ]
        }),
      "problems": .array(problems.map(JSONValue.string)),
    ]
  }

  var text: String {
    guard !artifacts.isEmpty else { return "No artifacts." }
    var lines = ["VERSION\tBUILD\tCOMMIT\tBUILT\tSIZE\tTREE HASH\tROLES"]
    for artifact in artifacts {
      let megabytes = Double(Artifacts.size(of: artifact.buildPath)) / 1_048_576
      lines.append(
        "\(artifact.version)\t\(artifact.buildID)\t\(artifact.manifest.commitSHA.prefix(12))\t"
          + "\(artifact.manifest.builtAt)\t\(Int(megabytes.rounded())) MiB\t\(artifact.manifest.treeHash.prefix(16))…\t"
          + flags(artifact).joined(separator: ","))
    }
    lines += problems.map { "problem: \($0)" }
    return lines.joined(separator: "\n")
  }
}
