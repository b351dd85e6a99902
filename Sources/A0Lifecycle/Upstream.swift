import A0Core
import A0System

/// A release tag upstream, with the commit it names.
public struct UpstreamRelease: Equatable, Sendable {
  public var version: Version
  public var commitSHA: String
}

/// The upstream's releases, read with `git ls-remote` and, when configured,
/// cross-checked against the GitHub REST API.
public struct Upstream {
  public let config: Config
  public let git: Git
  public let http: any HTTPFetching

  public init(config: Config, runner: any CommandRunning, http: any HTTPFetching) {
    self.config = config
    self.git = Git(runner: runner, timeoutSeconds: Double(config.upstream.timeoutSeconds))
    self.http = http
  }

  /// Every tag that is a version, newest first; other tags are counted.
  public func releases() throws(A0Error) -> (releases: [UpstreamRelease], ignoredTags: Int) {
    let tags = try git.remoteTags(url: config.upstream.url)
    var releases: [UpstreamRelease] = []
    var ignored = 0
    for (tag, sha) in tags {
      if let version = Version(tag: tag) {
        releases.append(UpstreamRelease(version: version, commitSHA: sha))
      } else {
        ignored += 1
      }
    }
    return (releases.sorted { $1.version < $0.version }, ignored)
  }

  /// `owner/repo` from the upstream URL's last two path components
  /// (`https://github.com/agent0ai/agent-zero.git` → `agent0ai/agent-zero`).
  public static func repositoryPath(from url: String) -> (owner: String, repository: String)? {
    var path = url
    if let scheme = path.range(of: "://") { path = String(path[scheme.upperBound...]) }
    path = path.replacingAll(":", with: "/")
    var parts = path.split(separator: "/").map(String.init)
    guard parts.count >= 2 else { return nil }
    var repository = parts.removeLast()
    if repository.hasSuffix(".git") { repository.removeLast(4) }
    let owner = parts.removeLast()
    let allowed = { (text: String) in
      !text.isEmpty && text != "." && text != ".."
        && text.unicodeScalars.allSatisfy {
          $0.isASCII
            && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }
    guard allowed(owner), allowed(repository) else { return nil }
    return (owner, repository)
  }

  /// The second channel: the tag's commit according to the GitHub API,
  /// peeling an annotated tag object. nil when the channel is off.
  public func apiCommit(for tag: String) throws(A0Error) -> String? {
    let base = config.upstream.githubAPI
    guard !base.isEmpty else { return nil }
    guard let (owner, repository) = Self.repositoryPath(from: config.upstream.url) else {
      throw A0Error(
        .badInput, "cannot tell owner/repository from \(config.upstream.url) for the GitHub API check",
        next: "Set upstream.github_api = \"\" to turn the second channel off")
    }
    let root = base.hasSuffix("/") ? String(base.dropLast()) : base
    let headers = ["Accept": "application/vnd.github+json"]
    let timeout = Double(config.upstream.timeoutSeconds)
    let reference = try http.get(
      "\(root)/repos/\(owner)/\(repository)/git/ref/tags/\(tag)", headers: headers, timeoutSeconds: timeout)
    guard reference.status == 200, let json = try? JSONValue.parse(reference.body),
      let object = json["object"], let sha = object["sha"]?.stringValue,
      let type = object["type"]?.stringValue
    else {
      throw A0Error(
        .upstreamUnreachable, "the GitHub API did not confirm tag \(tag)", why: "HTTP \(reference.status)",
        next: "Retry later, or set upstream.github_api = \"\" to turn the second channel off")
    }
    if type == "commit" { return sha }
    guard type == "tag", Git.isSHA(sha) else {
      throw A0Error(.integrityViolation, "the GitHub API names tag \(tag) as a \(type)")
    }
    let tagObject = try http.get(
      "\(root)/repos/\(owner)/\(repository)/git/tags/\(sha)", headers: headers, timeoutSeconds: timeout)
    guard tagObject.status == 200, let peeled = try? JSONValue.parse(tagObject.body),
      let commit = peeled["object"]?["sha"]?.stringValue, peeled["object"]?["type"] == "commit"
    else {
      throw A0Error(
        .upstreamUnreachable, "the GitHub API did not peel tag \(tag)", why: "HTTP \(tagObject.status)")
    }
    return commit
  }
}
