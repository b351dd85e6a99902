import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// A published, complete build: `artifacts/<version>` → `../builds/<id>`.
public struct ArtifactInfo: Equatable, Sendable {
  public var version: String
  public var buildID: String
  public var manifest: Manifest
  public var buildPath: String
  public var appPath: String { buildPath + "/app" }
}

/// Artifacts appear only by one atomic symlink rename after their manifest
/// is on disk, and disappear link first, so a listing never shows a
/// partial build.
public enum Artifacts {
  public static func buildPath(_ paths: HomePaths, _ buildID: String) -> String {
    paths.builds + "/" + buildID
  }
  public static func linkPath(_ paths: HomePaths, _ version: String) -> String {
    paths.artifacts + "/" + version
  }

  public static func manifest(_ paths: HomePaths, buildID: String) throws(A0Error) -> Manifest {
    let path = buildPath(paths, buildID) + "/manifest.json"
    guard let bytes = try FileIO.read(path) else {
      throw A0Error(.integrityViolation, "build \(buildID) has no manifest", why: path)
    }
    do {
      return try Manifest(json: try JSONValue.parse(bytes))
    } catch {
      throw A0Error(.integrityViolation, "the manifest of build \(buildID) is unreadable", why: "\(error)")
    }
  }

  /// The artifact of `version`, when one is published.
  public static func find(_ paths: HomePaths, version: String) throws(A0Error) -> ArtifactInfo? {
    guard Version(tag: version) != nil, let target = FileIO.readLink(linkPath(paths, version)) else {
      return nil
    }
    let buildID = FileIO.baseName(of: target)
    guard target == "../builds/" + buildID, isValidBuildID(buildID) else {
      throw A0Error(.integrityViolation, "artifacts/\(version) points outside builds/", why: target)
    }
    let manifest = try manifest(paths, buildID: buildID)
    guard manifest.version == version, manifest.buildID == buildID else {
      throw A0Error(
        .integrityViolation,
        "artifacts/\(version) points at a build of \(manifest.version) (\(manifest.buildID))")
    }
    return ArtifactInfo(
      version: version, buildID: buildID, manifest: manifest, buildPath: buildPath(paths, buildID))
  }

  /// Every published artifact, oldest first; links that do not resolve to a
  /// sound manifest are reported, not listed.
  public static func list(_ paths: HomePaths) throws(A0Error) -> (
    artifacts: [ArtifactInfo], problems: [String]
  ) {
    guard FileIO.isDirectory(paths.artifacts) else { return ([], []) }
    var artifacts: [ArtifactInfo] = []
    var problems: [String] = []
    for name in try FileIO.listDirectory(paths.artifacts).sorted() where !name.hasPrefix(".") {
      do {
        if let info = try find(paths, version: name) { artifacts.append(info) } else { problems.append(name) }
      } catch {
        problems.append("\(name): \(error.what)")
      }
    }
    return (artifacts.sorted { $0.manifest.builtAt < $1.manifest.builtAt }, problems)
  }

  public static func isValidBuildID(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.count <= 128 && !text.hasPrefix(".")
      && text.utf8.allSatisfy {
        (48...57).contains($0) || (97...122).contains($0) || (65...90).contains($0) || $0 == UInt8(ascii: "-")
          || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
      }
  }

  /// Publishes `version` → build: a temporary symlink renamed over the
  /// final name, then the directory fsynced. Replaces an older artifact of
  /// the same version in one step.
  public static func publish(_ paths: HomePaths, version: String, buildID: String) throws(A0Error) {
    try FileIO.makeDirectory(paths.artifacts)
    try AtomicLink.replace(link: linkPath(paths, version), target: "../builds/" + buildID)
  }

  /// Removes the link first (so the artifact is gone from every listing),
  /// then the build.
  public static func delete(_ paths: HomePaths, version: String, buildID: String) throws(A0Error) {
    let link = linkPath(paths, version)
    if FileIO.readLink(link) == "../builds/" + buildID {
      try FileIO.removeLink(link)
      try FileIO.fsyncDirectory(paths.artifacts)
    }
    try FileIO.removeTree(buildPath(paths, buildID))
    try FileIO.fsyncDirectory(paths.builds)
  }

  /// Recomputes a build's tree hash and compares it with its manifest;
  /// names the changed, added and removed files.
  public static func verify(_ info: ArtifactInfo) throws(A0Error) -> TreeDigest {
    let digest = try TreeHasher.digest(root: info.appPath)
    guard digest.treeHash == info.manifest.treeHash else {
      let diff = digest.differences(from: info.manifest.files)
      let named =
        (diff.changed.map { "changed \($0)" } + diff.added.map { "added \($0)" }
        + diff.removed.map { "removed \($0)" })
        .prefix(20).joined(separator: ", ")
      throw A0Error(
        .integrityViolation, "artifact \(info.version) (build \(info.buildID)) does not match its manifest",
        why: named.isEmpty ? "the tree hash differs" : named, next: "Stage it again with --rebuild")
    }
    return digest
  }

  /// The sum of the sizes of a build's files.
  public static func size(of path: String) -> Int64 { FileIO.totalSize(of: path) }

}
