import A0System
import Foundation

/// A local bare git repository with release tags, laid out like
/// `…/agent0ai/agent-zero.git` so the GitHub API check can name it.
public final class UpstreamFixture {
  public let root: String
  public let bare: String
  let work: String

  public init(in directory: String, tags: [String], annotated: Set<String> = []) throws {
    root = directory + "/upstream"
    bare = root + "/agent0ai/agent-zero.git"
    work = root + "/work"
    try FileManager.default.createDirectory(atPath: root + "/agent0ai", withIntermediateDirectories: true)
    try Self.git(["init", "-q", "--bare", bare])
    try Self.git(["init", "-q", work])
    for tag in tags { try commit(tag: tag, annotated: annotated.contains(tag)) }
  }

  /// Adds a commit and tags it; `hoursAgo` dates the commit in the past.
  public func commit(tag: String, annotated: Bool = false, file: String = "VERSION", hoursAgo: Int = 0) throws
  {
    try (tag + "\n").write(toFile: work + "/" + file, atomically: false, encoding: .utf8)
    try Self.git(["-C", work, "add", "-A"])
    let seconds = Int(Date().timeIntervalSince1970) - hoursAgo * 3600
    try Self.git(
      ["-C", work, "commit", "-q", "-m", "release \(tag)"],
      environment: ["GIT_COMMITTER_DATE": "@\(seconds) +0000", "GIT_AUTHOR_DATE": "@\(seconds) +0000"])
    if annotated {
      try Self.git(["-C", work, "tag", "-a", tag, "-m", "annotated \(tag)"])
    } else {
      try Self.git(["-C", work, "tag", tag])
    }
    try Self.git(["-C", work, "push", "-q", bare, "HEAD:refs/heads/main", "refs/tags/\(tag)"])
  }

  /// Adds a commit with a hostile entry (made by `make` in the work tree) and tags it.
  public func commit(tag: String, adding make: (String) throws -> Void) throws {
    try make(work)
    try Self.git(["-C", work, "add", "-A"])
    try Self.git(["-C", work, "commit", "-q", "-m", "release \(tag)"])
    try Self.git(["-C", work, "tag", tag])
    try Self.git(["-C", work, "push", "-q", bare, "HEAD:refs/heads/main", "refs/tags/\(tag)"])
  }

  /// Moves an existing tag to a new commit, as a compromised upstream might.
  public func moveTag(_ tag: String) throws {
    try ("moved " + tag + "\n").write(toFile: work + "/MOVED", atomically: false, encoding: .utf8)
    try Self.git(["-C", work, "add", "-A"])
    try Self.git(["-C", work, "commit", "-q", "-m", "move \(tag)"])
    try Self.git(["-C", work, "tag", "-f", tag])
    try Self.git(["-C", work, "push", "-q", "-f", bare, "refs/tags/\(tag)"])
  }

  public func sha(of tag: String) throws -> String {
    try Self.git(["-C", bare, "rev-parse", "\(tag)^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @discardableResult
  static func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let result = try ProcessRunner().run(
      CommandLineSpec(
        [
          "git", "-c", "user.email=fixture@a0.invalid", "-c", "user.name=fixture", "-c",
          "init.defaultBranch=main",
        ]
          + arguments, environment: environment, timeoutSeconds: 60))
    guard result.succeeded else { throw FixtureError(message: "git \(arguments): \(result.tail())") }
    return result.stdoutText
  }
}

public struct FixtureError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

/// Throwaway ed25519 keys and an allowed_signers file.
public struct SigningKeys {
  public let directory: String

  public init(in directory: String, principals: [String]) throws {
    self.directory = directory + "/keys"
    try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
    var lines: [String] = []
    for principal in principals {
      let result = try ProcessRunner().run(
        CommandLineSpec(
          ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", key(principal)],
          timeoutSeconds: 30))
      guard result.succeeded else { throw FixtureError(message: result.tail()) }
      let publicKey = try String(contentsOfFile: key(principal) + ".pub", encoding: .utf8)
      lines.append(
        "\(principal) namespaces=\"a0\" \(publicKey.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    try (lines.joined(separator: "\n") + "\n").write(
      toFile: self.directory + "/allowed_signers", atomically: false, encoding: .utf8)
  }

  public func key(_ principal: String) -> String {
    directory + "/" + principal.replacingOccurrences(of: "@", with: "_")
  }
  public var allowedSigners: String { directory + "/allowed_signers" }
}
