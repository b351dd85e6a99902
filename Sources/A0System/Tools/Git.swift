import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// git, modelled: every invocation built here, as an argument array, with
/// `--` before user values, a scrubbed environment and a timeout.
public struct Git: Sendable {
  public let runner: any CommandRunning
  public let timeoutSeconds: Double

  public init(runner: any CommandRunning, timeoutSeconds: Double) {
    self.runner = runner
    self.timeoutSeconds = timeoutSeconds
  }

  /// git's own variables for every run: no system or global configuration
  /// (the caller's `~/.gitconfig` could name hooks, an askpass program or
  /// URL rewrites), never a prompt.
  public static let environment: [String: String] = [
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
  ]

  /// Transports are allow-listed (file, https, ssh): `ext::` (which runs a
  /// command) and every other helper are refused whatever the URL says; no
  /// hook, askpass program, credential helper or file-system monitor runs.
  public static let safetyOptions = [
    "-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.ssh.allow=always",
    "-c", "protocol.file.allow=always", "-c", "credential.helper=", "-c", "core.hooksPath=/dev/null",
    "-c", "core.askPass=", "-c", "core.fsmonitor=false",
  ]

  /// `git ls-remote --tags -- URL`: every tag with the commit it names,
  /// annotated tags peeled (`^{}`).
  public func remoteTags(url: String) throws(A0Error) -> [String: String] {
    let result = try runner.run(Self.listRemoteTags(url: url, timeoutSeconds: timeoutSeconds))
    if result.timedOut {
      throw A0Error(
        .upstreamUnreachable, "the upstream did not answer within \(Int(timeoutSeconds)) s", why: url,
        next: "Check the network and the URL in [upstream] url, or raise upstream.timeout_seconds")
    }
    guard result.succeeded else {
      throw A0Error(
        .upstreamUnreachable, "cannot list the upstream's tags", why: result.tail(lines: 5),
        next: "Check the network and the URL in [upstream] url")
    }
    return Self.parseTags(result.stdoutText)
  }

  /// When a tag's release was made: the later of its commit's time and, for
  /// an annotated tag, the tag's own date, so a tag placed today on an old
  /// commit is today's. Fetched (commit and tag, no files) into the bare
  /// repository `cache`, made if missing.
  public func releaseTime(url: String, tag: String, commit: String, cache: String) throws(A0Error)
    -> Timestamp
  {
    if !FileIO.exists(cache + "/HEAD") {
      try check(runner.run(Self.initBare(at: cache, timeoutSeconds: timeoutSeconds)), "cannot make \(cache)")
    }
    // One ref per process: readers run without the lock, and may fetch at once.
    let ref = "refs/a0/release-time-\(getpid())"
    try check(
      runner.run(Self.fetchCommit(url: url, tag: tag, as: ref, into: cache, timeoutSeconds: timeoutSeconds)),
      "cannot fetch the commit of \(tag)")
    defer { _ = try? runner.run(Self.deleteRef(ref, in: cache, timeoutSeconds: timeoutSeconds)) }
    let committed = try runner.run(Self.commitTime(commit, in: cache, timeoutSeconds: timeoutSeconds))
    try check(committed, "cannot read the commit time of \(tag)")
    let tagged = try runner.run(Self.taggerTime(ref, in: cache, timeoutSeconds: timeoutSeconds))
    try check(tagged, "cannot read the date of the tag \(tag)")
    guard let commitSeconds = Int64(committed.stdoutText.trimmingWhitespace) else {
      throw A0Error(.upstreamUnreachable, "git gave no commit time for \(tag)", why: committed.tail(lines: 3))
    }
    // A lightweight tag has no date of its own: the line is empty.
    let seconds = max(commitSeconds, Int64(tagged.stdoutText.trimmingWhitespace) ?? commitSeconds)
    return Timestamp(millisecondsSinceEpoch: seconds * 1000)
  }

  private func check(_ result: ProcessResult, _ what: String) throws(A0Error) {
    guard result.succeeded else {
      throw A0Error(
        .upstreamUnreachable, what,
        why: result.timedOut ? "no answer within \(Int(timeoutSeconds)) s" : result.tail(lines: 5),
        next: "Check the network and the URL in [upstream] url")
    }
  }

  /// Parses `ls-remote` output; a peeled line (`^{}`) wins over its tag object.
  public static func parseTags(_ text: String) -> [String: String] {
    var direct: [String: String] = [:]
    var peeled: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "\t", maxSplits: 1)
      guard parts.count == 2, isSHA(String(parts[0])), parts[1].hasPrefix("refs/tags/") else { continue }
      var name = String(parts[1].dropFirst("refs/tags/".count))
      if name.hasSuffix("^{}") {
        name.removeLast(3)
        peeled[name] = String(parts[0])
      } else {
        direct[name] = String(parts[0])
      }
    }
    return direct.merging(peeled) { _, peeledSHA in peeledSHA }
  }

  public static func isSHA(_ text: String) -> Bool {
    (text.utf8.count == 40 || text.utf8.count == 64)
      && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
  }
}

// MARK: - Commands

extension Git {
  /// Every git command a0 runs: the safety options first, git's own
  /// environment, user values after `--` wherever git takes them.
  static func command(_ arguments: [String], in directory: String?, timeoutSeconds: Double) -> CommandLineSpec
  {
    CommandLineSpec(
      ["git"] + safetyOptions + (directory.map { ["-C", $0] } ?? []) + arguments, environment: environment,
      timeoutSeconds: timeoutSeconds)
  }

  public static func listRemoteTags(url: String, timeoutSeconds: Double) -> CommandLineSpec {
    command(["ls-remote", "--tags", "--", url], in: nil, timeoutSeconds: timeoutSeconds)
  }

  /// A shallow clone of one tag, with no template (no hooks) and no
  /// detached-HEAD advice in the build log.
  public static func clone(url: String, tag: String, into directory: String, timeoutSeconds: Double)
    -> CommandLineSpec
  {
    command(
      [
        "clone", "--quiet", "--depth", "1", "--branch", tag, "--single-branch", "--template=",
        "-c", "advice.detachedHead=false", "--", url, directory,
      ], in: nil, timeoutSeconds: timeoutSeconds)
  }

  /// The commit HEAD names, on stdout.
  public static func headCommit(in directory: String, timeoutSeconds: Double) -> CommandLineSpec {
    command(["rev-parse", "--verify", "HEAD^{commit}"], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// The tag HEAD is exactly at, on stdout; fails when there is none.
  public static func exactTag(in directory: String, timeoutSeconds: Double) -> CommandLineSpec {
    command(["describe", "--tags", "--exact-match", "HEAD"], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// Creates or moves a branch with plumbing: nothing in the work tree is read.
  public static func setBranch(
    _ branch: String, to commit: String, in directory: String, timeoutSeconds: Double
  )
    -> CommandLineSpec
  {
    command(["update-ref", "--no-deref", branch, commit], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// Points HEAD at a branch, leaving the work tree as it is.
  public static func pointHead(at branch: String, in directory: String, timeoutSeconds: Double)
    -> CommandLineSpec
  {
    command(["symbolic-ref", "HEAD", branch], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// An empty bare repository (a cache of fetched commits).
  public static func initBare(at directory: String, timeoutSeconds: Double) -> CommandLineSpec {
    command(
      ["init", "--quiet", "--bare", "--template=", "--", directory], in: nil, timeoutSeconds: timeoutSeconds)
  }

  /// The commit a tag names, without its files or history, into `ref` of the bare repository.
  public static func fetchCommit(
    url: String, tag: String, as ref: String, into bare: String, timeoutSeconds: Double
  ) -> CommandLineSpec {
    command(
      [
        "fetch", "--quiet", "--depth", "1", "--filter=blob:none", "--no-tags", "--", url,
        "+refs/tags/\(tag):\(ref)",
      ],
      in: bare, timeoutSeconds: timeoutSeconds)
  }

  /// The committer time of `commit`, in seconds since 1970, on stdout.
  public static func commitTime(_ commit: String, in directory: String, timeoutSeconds: Double)
    -> CommandLineSpec
  {
    command(
      ["show", "--no-patch", "--format=%ct", commit, "--"], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// The date of the annotated tag `ref` points at, in seconds since 1970;
  /// an empty line for a lightweight tag.
  public static func taggerTime(_ ref: String, in directory: String, timeoutSeconds: Double)
    -> CommandLineSpec
  {
    command(
      ["for-each-ref", "--format=%(taggerdate:unix)", ref], in: directory, timeoutSeconds: timeoutSeconds)
  }

  public static func deleteRef(_ ref: String, in directory: String, timeoutSeconds: Double) -> CommandLineSpec
  {
    command(["update-ref", "-d", ref], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// Changed tracked files, NUL-separated (`status --porcelain -z`).
  public static func trackedChanges(in directory: String, timeoutSeconds: Double) -> CommandLineSpec {
    command(
      ["status", "--porcelain", "-z", "--untracked-files=no"], in: directory, timeoutSeconds: timeoutSeconds)
  }

  /// Untracked (`??`) and ignored (`!!`) files, NUL-separated.
  public static func untrackedAndIgnored(in directory: String, timeoutSeconds: Double) -> CommandLineSpec {
    command(
      ["status", "--porcelain", "-z", "--ignored", "--untracked-files=normal"], in: directory,
      timeoutSeconds: timeoutSeconds)
  }
}
