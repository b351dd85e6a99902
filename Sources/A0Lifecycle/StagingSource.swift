import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Staging's first steps: the release's source, cloned at its approved
/// commit, checked, and its user-data paths linked out into `.billy/shared/`.
extension Stager {
  func clone(plan: StagingPlan, into app: String, log: BuildLog?) throws(A0Error) {
    let timeout = Double(config.upstream.timeoutSeconds)
    let started = monotonicMilliseconds()
    _ = try run(
      Git.clone(url: plan.url, tag: plan.version, into: app, timeoutSeconds: timeout), log: log,
      what: "git clone")
    let head = try run(Git.headCommit(in: app, timeoutSeconds: timeout), log: log, what: "git rev-parse")
    let sha = head.stdoutText.trimmingWhitespace
    guard sha == plan.commitSHA else {
      throw A0Error(
        .integrityViolation, "tag \(plan.version) now names \(sha), but \(plan.commitSHA) was approved",
        why: "the tag moved upstream after the approval", next: "Do not use this version until you know why")
    }
    // Agent Zero's health output reads git information; a detached HEAD
    // breaks it. The branch is made with plumbing: the work tree is already
    // the commit, and `checkout` would re-read every file to find that out.
    let branch = "refs/heads/release/" + plan.version
    _ = try run(
      Git.setBranch(branch, to: sha, in: app, timeoutSeconds: timeout), log: log, what: "git update-ref")
    _ = try run(
      Git.pointHead(at: branch, in: app, timeoutSeconds: timeout), log: log, what: "git symbolic-ref")
    try machine.record(
      eventType: "clone_completed", actor: "system",
      details: [
        "version": .string(plan.version), "commit_sha": .string(sha),
        "duration_ms": .int(monotonicMilliseconds() - started),
      ])
  }

  /// Refuses trees a release must never contain: what a0 builds itself
  /// (`.venv`, where its configuration would steer the installer and which
  /// the tree hash does not cover), symlinks that point outside the tree,
  /// and names the tree hash cannot record (newlines).
  func checkTree(_ app: String) throws(A0Error) {
    if FileIO.exists(app + "/.venv") {
      throw A0Error(
        .integrityViolation, "the upstream tree has a .venv",
        why: "a0 builds the release's virtualenv itself; one shipped in the release could carry "
          + "installer configuration or code outside the tree hash",
        next: "Do not use this version; a release must not commit .venv/")
    }
    func walk(_ relative: String) throws(A0Error) {
      let directory = relative.isEmpty ? app : app + "/" + relative
      for name in try FileIO.listDirectory(directory) {
        if relative.isEmpty && name == ".git" { continue }
        let path = relative.isEmpty ? name : relative + "/" + name
        if name.contains("\n") || name.contains("\r") {
          throw A0Error(
            .integrityViolation, "the upstream tree has a file name with a line break",
            why: path.debugDescription)
        }
        switch FileIO.kind(of: app + "/" + path) {
        case .directory: try walk(path)
        case .symlink:
          let target = FileIO.readLink(app + "/" + path) ?? ""
          let resolved = HomePaths.absolutePath(target, relativeTo: FileIO.parent(of: app + "/" + path))
          if target.hasPrefix("/") || !(resolved == app || resolved.hasPrefix(app + "/")) {
            throw A0Error(
              .integrityViolation, "the upstream tree has a symlink pointing outside it",
              why: "\(path) -> \(target)")
          }
        case .other, .missing: continue
        }
      }
    }
    try walk("")
  }

  /// Replaces each linked data path by a relative symlink into
  /// `.billy/shared/`, moving what upstream ships there to the build's
  /// skeleton (DESIGN.md §3). The release is then complete and immutable.
  func linkData(app: String, skeleton: String, log: BuildLog?) throws(A0Error) {
    try FileIO.makeDirectory(paths.shared)
    for entry in config.data.linkedPaths {
      let linked = LinkedPath(entry)
      let inRelease = app + "/" + linked.relative
      if FileIO.exists(inRelease) {
        let target = skeleton + "/" + linked.relative
        try LinkedPath.makeParents(of: target, under: skeleton)
        try FileIO.rename(inRelease, to: target)
        log?.note("moved upstream's \(linked.relative) to the skeleton")
      }
      try linked.link(release: app, shared: paths.shared)
    }
  }
}
