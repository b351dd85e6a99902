import A0Core
import A0System

/// `.billy/version.json`: what production runs.
public struct ProductionInfo: Equatable, Sendable {
  public var version: String
  public var commitSHA: String
  public var buildID: String
  public var treeHash: String
  public var deployedAt: String

  public init(version: String, commitSHA: String, buildID: String, treeHash: String, deployedAt: String) {
    self.version = version
    self.commitSHA = commitSHA
    self.buildID = buildID
    self.treeHash = treeHash
    self.deployedAt = deployedAt
  }

  public var json: JSONValue {
    [
      "version": .string(version), "commit_sha": .string(commitSHA), "build_id": .string(buildID),
      "tree_hash": .string(treeHash), "deployed_at": .string(deployedAt),
    ]
  }

  public init?(json: JSONValue) {
    guard let version = json["version"]?.stringValue, let sha = json["commit_sha"]?.stringValue,
      let build = json["build_id"]?.stringValue, let tree = json["tree_hash"]?.stringValue,
      let deployed = json["deployed_at"]?.stringValue
    else { return nil }
    self.init(version: version, commitSHA: sha, buildID: build, treeHash: tree, deployedAt: deployed)
  }

  /// nil when nothing is in production yet, or the file cannot be read.
  public static func read(_ paths: HomePaths) -> ProductionInfo? {
    read(path: paths.versionFile)
  }

  public static func read(path: String) -> ProductionInfo? {
    guard let bytes = try? FileIO.read(path), let json = try? JSONValue.parse(bytes) else { return nil }
    return ProductionInfo(json: json)
  }
}
