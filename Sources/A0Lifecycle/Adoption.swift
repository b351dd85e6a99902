import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// `a0 init --adopt PATH`: takes over an existing install — a git checkout
/// at a release tag, with its venv — as the first release and known-good,
/// moving its user data into `.billy/shared/` without losing a file.
public enum Adoption {
  public struct Result: Sendable {
    public var version: String
    public var buildID: String
    public var movedData: [String]
  }

  /// Checks PATH can be adopted before anything changes: a clean checkout at
  /// a release tag, with a venv, and no user data that would stay behind.
  public static func inspect(path: String, runner: any CommandRunning, linkedPaths: [String]) throws(A0Error)
    -> (version: Version, commit: String)
  {
    if let home = HomePaths.enclosingHome(of: path) {
      throw A0Error(
        .badInput, "\(path) is inside the a0 home \(home)", why: "a0 adopts installs it does not manage",
        next: "Adopt the directory you cloned the app into")
    }
    guard FileIO.isDirectory(path + "/.git") else {
      throw A0Error(
        .badInput, "\(path) is not a git checkout", next: "Adopt the directory you cloned the app into")
    }
    guard FileIO.exists(path + "/.venv/bin/python") else {
      throw A0Error(
        .badInput, "\(path) has no virtualenv at .venv/",
        next:
          "Create it there (python -m venv .venv and install the requirements), or install with a0 instead")
    }
    let changes = try runner.run(Git.trackedChanges(in: path, timeoutSeconds: 60))
    guard changes.succeeded else {
      throw A0Error(.badInput, "git cannot read \(path)", why: changes.tail(lines: 3))
    }
    // Tracked files inside the user-data paths are the user's to change
    // (Agent Zero's migration replaces usr/knowledge/, .gitkeep files and all).
    let linked = linkedPaths.map(LinkedPath.init)
    let codeChanges = changes.stdoutText.split(separator: "\0").filter { entry in
      entry.count > 3 && !isLinked(String(entry.dropFirst(3)), linked)
    }
    guard codeChanges.isEmpty else {
      throw A0Error(
        .badInput, "\(path) has local code changes", why: codeChanges.prefix(10).joined(separator: "\n"),
        next:
          "Commit them elsewhere or restore them (`git -C \(path) stash`); a0 only adopts a release as released"
      )
    }
    try refuseStrandedData(path: path, runner: runner, linkedPaths: linkedPaths)
    let tag = try runner.run(Git.exactTag(in: path, timeoutSeconds: 60))
    guard tag.succeeded, let version = Version(tag: tag.stdoutText.trimmingWhitespace) else {
      throw A0Error(
        .badInput, "\(path) is not checked out at a release tag",
        next: "Check out the release it runs (`git -C \(path) checkout vX.Y`) and adopt again")
    }
    let head = try runner.run(Git.headCommit(in: path, timeoutSeconds: 60))
    return (version, head.stdoutText.trimmingWhitespace)
  }

  /// Files git does not track (untracked or ignored) are the install's own
  /// data. Those outside `[data] linked_paths` would stay in the adopted
  /// release, and be gone from the next one: refused, naming them.
  static func refuseStrandedData(path: String, runner: any CommandRunning, linkedPaths: [String])
    throws(A0Error)
  {
    let listed = try runner.run(Git.untrackedAndIgnored(in: path, timeoutSeconds: 60))
    guard listed.succeeded else {
      throw A0Error(.badInput, "git cannot read \(path)", why: listed.tail(lines: 3))
    }
    let linked = linkedPaths.map(LinkedPath.init)
    let stranded = listed.stdoutText.split(separator: "\0").compactMap { entry -> String? in
      guard entry.hasPrefix("?? ") || entry.hasPrefix("!! ") else { return nil }
      let file = String(entry.dropFirst(3))
      let bare = file.hasSuffix("/") ? String(file.dropLast()) : file
      let isBuildOutput =
        bare == ".venv" || bare.hasSuffix("/__pycache__") || bare == "__pycache__" || bare.hasSuffix(".pyc")
      return isBuildOutput || isLinked(bare, linked) ? nil : file
    }
    guard stranded.isEmpty else {
      throw A0Error(
        .badInput,
        "\(path) holds data outside [data] linked_paths: \(stranded.prefix(10).joined(separator: ", "))",
        why: "adoption moves only the linked paths into .billy/shared/; the rest would stay behind in the "
          + "adopted release and be missing from every later one",
        next: "Start the install once at its current version (Agent Zero v1.x moves its legacy .env, memory/ "
          + "and knowledge/custom/ into usr/ when it starts), or add the paths to [data] linked_paths, "
          + "or move them out; then adopt again")
    }
  }

  /// Whether `file` (relative to the checkout) is a linked path or inside one.
  static func isLinked(_ file: String, _ linked: [LinkedPath]) -> Bool {
    let bare = file.hasSuffix("/") ? String(file.dropLast()) : file
    return linked.contains { bare == $0.relative || bare.hasPrefix($0.relative + "/") }
  }

  /// Moves PATH into `builds/<id>/app`, its user data into `shared/`, links
  /// the data back, writes the manifest, publishes the artifact, points
  /// production at it, and records it as production and known-good.
  public static func adopt(_ machine: Machine, path: String, caller: Caller) throws(A0Error) -> Result {
    let (version, commit) = try inspect(
      path: path, runner: machine.runner(), linkedPaths: machine.config.data.linkedPaths)
    let buildID = Stager.newOperationID(at: machine.clock.now())
    let build = Artifacts.buildPath(machine.paths, buildID)
    let app = build + "/app"
    try FileIO.makeDirectory(build)
    try FileIO.writeAtomically(build + "/.partial", Array("adopt\n".utf8))
    try FileIO.rename(path, to: app)
    try FileIO.fsyncDirectory(FileIO.parent(of: path))
    let linkedPaths = machine.config.data.linkedPaths.map(LinkedPath.init)
    var moved: [String] = []
    do throws(A0Error) {
      try moveUserData(app: app, shared: machine.paths.shared, linkedPaths: linkedPaths, moved: &moved)
      for linked in linkedPaths { try linked.link(release: app, shared: machine.paths.shared) }
      let treeHash = try publish(
        machine, app: app, build: build, buildID: buildID, version: version.tag, commit: commit)
      try machine.record(
        eventType: "adopted", actor: caller.actor,
        details: [
          "from": .string(path), "version": .string(version.tag), "commit_sha": .string(commit),
          "build_id": .string(buildID), "tree_hash": .string(treeHash),
          "moved_data": .array(moved.map(JSONValue.string)),
        ])
      return Result(version: version.tag, buildID: buildID, movedData: moved)
    } catch {
      // Put everything back where it was: the user's install is never lost.
      for relative in moved.reversed() {
        let inRelease = app + "/" + relative
        if FileIO.readLink(inRelease) != nil { FileIO.removeLinkIfPresent(inRelease) }
        try? FileIO.rename(machine.paths.shared + "/" + relative, to: inRelease)
      }
      for linked in linkedPaths
      where FileIO.readLink(app + "/" + linked.relative)?.contains("shared/") == true {
        FileIO.removeLinkIfPresent(app + "/" + linked.relative)
      }
      try? FileIO.rename(app, to: path)
      try? FileIO.removeTree(build)
      throw error
    }
  }

  /// Moves each linked path the install has into `shared/`, recording it
  /// in `moved` as it goes, so a failure can move it back.
  static func moveUserData(app: String, shared: String, linkedPaths: [LinkedPath], moved: inout [String])
    throws(A0Error)
  {
    for linked in linkedPaths {
      let source = app + "/" + linked.relative
      let target = shared + "/" + linked.relative
      guard FileIO.exists(source), FileIO.readLink(source) == nil else { continue }
      try LinkedPath.makeParents(of: target, under: shared)
      if FileIO.exists(target) {
        throw A0Error(
          .operationFailed, "shared/\(linked.relative) already exists; adoption does not merge data")
      }
      try FileIO.rename(source, to: target)
      moved.append(linked.relative)
    }
  }

  /// The adopted tree as an artifact in production and known-good; returns its tree hash.
  static func publish(
    _ machine: Machine, app: String, build: String, buildID: String, version: String, commit: String
  ) throws(A0Error) -> String {
    let digest = try TreeHasher.digest(root: app)
    let venv = try TreeHasher.digest(root: app + "/.venv", excludingTopLevel: [], includingBytecode: true)
    let now = machine.clock.now()
    let manifest = Manifest(
      version: version, builtAt: now.iso8601, sourceURL: machine.config.upstream.url, commitSHA: commit,
      files: digest.files, treeHash: digest.treeHash, buildID: buildID, buildLogPath: nil,
      virtualenvHash: venv.treeHash, python: nil, installer: "adopted")
    try FileIO.writeAtomically(build + "/manifest.json", Array(manifest.json.prettyString.utf8))
    try FileIO.removeTree(build + "/.partial")
    try Artifacts.publish(machine.paths, version: version, buildID: buildID)
    try AtomicLink.replace(
      link: machine.paths.productionLink(machine.config), target: ".billy/builds/\(buildID)/app")
    let production = ProductionInfo(
      version: version, commitSHA: commit, buildID: buildID, treeHash: digest.treeHash,
      deployedAt: now.iso8601)
    try FileIO.writeAtomically(machine.paths.versionFile, Array(production.json.prettyString.utf8))
    try FileIO.writeAtomically(machine.paths.knownGood, Array(production.json.prettyString.utf8))
    return digest.treeHash
  }
}
