import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// One `[data] linked_paths` entry: user data kept in `.billy/shared/` and
/// linked into every release (DESIGN.md §3).
struct LinkedPath {
  /// The path inside the release, without the trailing `/`.
  let relative: String
  let isDirectory: Bool

  init(_ entry: String) {
    isDirectory = entry.hasSuffix("/")
    relative = isDirectory ? String(entry.dropLast()) : entry
  }

  /// The relative symlink from `builds/<id>/app/<relative>` to `.billy/shared/<relative>`.
  var releaseLinkTarget: String {
    String(repeating: "../", count: 3 + relative.split(separator: "/").count - 1) + "shared/" + relative
  }

  /// Creates the missing directories between `root` and `path`'s parent.
  static func makeParents(of path: String, under root: String) throws(A0Error) {
    var missing: [String] = []
    var directory = FileIO.parent(of: path)
    while directory.count > root.count && !FileIO.exists(directory) {
      missing.append(directory)
      directory = FileIO.parent(of: directory)
    }
    if !FileIO.exists(root) { try FileIO.makeDirectory(root) }
    for directory in missing.reversed() { try FileIO.makeDirectory(directory) }
  }

  /// Links the release at `app` to this path's user data in `shared`,
  /// creating the data empty when the user has none yet.
  func link(release app: String, shared: String) throws(A0Error) {
    let inShared = shared + "/" + relative
    try Self.makeParents(of: inShared, under: shared)
    try createEmpty(at: inShared)
    let inRelease = app + "/" + relative
    try Self.makeParents(of: inRelease, under: app)
    try FileIO.makeSymlink(inRelease, to: releaseLinkTarget)
  }

  /// Makes `path` as an empty directory or file when it does not exist.
  func createEmpty(at path: String) throws(A0Error) {
    guard !FileIO.exists(path) else { return }
    if isDirectory {
      try FileIO.makeDirectory(path)
    } else {
      try FileIO.writeAtomically(path, [], mode: 0o600)
    }
  }
}

/// The user data of `.billy/shared/` as releases see it.
enum SharedData {
  /// Skeleton files the user does not have yet are copied into `shared`;
  /// a user's file is never overwritten, and a link in the user's data
  /// (which the service's user may write) is never followed.
  static func mergeSkeleton(_ skeleton: String, into shared: String, durable: Bool = true) throws(A0Error) {
    guard FileIO.isDirectory(skeleton) else { return }
    func merge(_ relative: String) throws(A0Error) {
      let source = skeleton + (relative.isEmpty ? "" : "/" + relative)
      let target = shared + (relative.isEmpty ? "" : "/" + relative)
      if FileIO.isRealDirectory(source) {
        if !FileIO.exists(target) { try FileIO.makeDirectory(target) }
        guard FileIO.isRealDirectory(target) else { return }
        for name in try FileIO.listDirectory(source) {
          try merge(relative.isEmpty ? name : relative + "/" + name)
        }
      } else if !FileIO.exists(target) {
        try FileIO.copyTree(from: source, to: target, durable: durable)
      }
    }
    try merge("")
  }

  /// A copy of a release laid out as production will run it: the release
  /// at `<root>/builds/<id>/app` with its data links intact, and the links'
  /// targets in `<root>/shared/`, a scratch copy of the user's data with the
  /// release's skeleton merged in as promotion will merge it. What the
  /// release does to its data on start (a migration, a move, a write
  /// through a link) happens here first, where a failure costs nothing.
  static func makeTwin(
    of artifact: ArtifactInfo, linkedPaths: [String], userData: String, root: String
  ) throws(A0Error) -> String {
    let app = root + "/builds/" + artifact.buildID + "/app"
    try FileIO.makeDirectory(root + "/builds")
    try FileIO.makeDirectory(root + "/builds/" + artifact.buildID)
    try FileIO.copyTree(from: artifact.appPath, to: app, skipTopLevel: [".venv"], durable: false)
    let shared = root + "/shared"
    try FileIO.makeDirectory(shared)
    for linked in linkedPaths.map(LinkedPath.init) {
      let source = userData + "/" + linked.relative
      let target = shared + "/" + linked.relative
      try LinkedPath.makeParents(of: target, under: shared)
      if FileIO.exists(source) {
        try FileIO.copyTree(from: source, to: target, durable: false)
      }
    }
    try mergeSkeleton(artifact.buildPath + "/skeleton", into: shared, durable: false)
    for linked in linkedPaths.map(LinkedPath.init) {
      try linked.createEmpty(at: shared + "/" + linked.relative)
    }
    try removeEscapingLinks(in: shared, root: root)
    return app
  }

  /// The copy keeps links as links; one that leads out of the twin (an
  /// absolute target, or `..` past its root) would let the dry run write to
  /// wherever it points, so it is removed from the copy.
  static func removeEscapingLinks(in directory: String, root: String) throws(A0Error) {
    for name in try FileIO.listDirectory(directory) {
      let path = directory + "/" + name
      if let target = FileIO.readLink(path) {
        let resolved = HomePaths.absolutePath(target, relativeTo: directory)
        if target.hasPrefix("/") || !resolved.hasPrefix(root + "/") {
          try FileIO.removeLink(path)
        }
      } else if FileIO.isRealDirectory(path) {
        try removeEscapingLinks(in: path, root: root)
      }
    }
  }
}
