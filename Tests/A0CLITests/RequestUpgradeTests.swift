import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("request-upgrade")
struct RequestUpgradeTests {
  static let hostile = [
    "latest", "v1.7; rm -rf /", "--upload-pack=touch /tmp/pwned", "../x", "ｖ1.7", "v1.7\u{200B}", "main",
    String(repeating: "v", count: 10_000), "v1.7$(id)", "-v1.7",
  ]

  @Test("hostile version strings are bad input (65) and never reach git", arguments: hostile)
  func hostileVersions(version: String) throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.7"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    let spy = scratch.path + "/bin"
    try FileManager.default.createDirectory(atPath: spy, withIntermediateDirectories: true)
    let log = scratch.path + "/git-calls"
    try "#!/bin/sh\necho \"$@\" >> \(log)\nexec /usr/bin/git \"$@\"\n".write(
      toFile: spy + "/git", atomically: false, encoding: .utf8)
    chmod(spy + "/git", 0o755)
    // a0 finds git on the home's [tools] path, never on its caller's PATH.
    try TestHome.configure(paths, ["tools.path": "\"\(spy):/usr/bin:/bin\""])
    let before = TestHome.read(paths.journal)
    for command in [["request-upgrade", version], ["approve", version]] {
      let result = try A0Binary.run(command + ["--home", paths.root, "--json"])
      #expect(result.status == 65, "\(command): \(result.stdout)")
      #expect(result.json?["error"]?["code"] == "bad_input")
    }
    #expect(!FileManager.default.fileExists(atPath: log), "git was called: \(TestHome.read(log))")
    #expect(TestHome.read(paths.journal) == before)
    // The spy works: a valid request does reach git.
    _ = try A0Binary.run(["request-upgrade", "v1.7", "--home", paths.root])
    #expect(TestHome.read(log).contains("ls-remote --tags -- \(upstream.bare)"))
  }

  @Test(
    "the agent requests without a terminal; the request pins the commit; a duplicate returns the same request"
  )
  func agentRequests() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1"], annotated: ["v1.1"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    let first = try A0Binary.run([
      "request-upgrade", "v1.1", "--home", paths.root, "--json", "--reason", "fix",
    ])
    #expect(first.status == 0, "\(first.stdout)")
    let data = first.json?["data"]
    #expect(data?["commit_sha"] == .string(try upstream.sha(of: "v1.1")))
    #expect(data?["requester"] == "agent:agent-zero")
    #expect(data?["status"] == "pending")
    let id = data?["request_id"]?.stringValue ?? ""
    #expect(FileManager.default.fileExists(atPath: paths.approvals + "/\(id).json"))
    let again = try A0Binary.run(["request-upgrade", "v1.1", "--home", paths.root, "--json"])
    #expect(again.json?["data"]?["request_id"] == .string(id))
    #expect(again.json?["data"]?["existing"] == .bool(true))
    let pending = try A0Binary.run(["pending-approvals", "--home", paths.root, "--json"])
    #expect(pending.json?["data"]?["pending"]?.arrayValue?.count == 1)
    let events = try TestHome.journalEvents(paths).filter { $0.eventType == "upgrade_requested" }
    #expect(events.count == 1)

    let approve = try A0Binary.run(["approve", id, "--home", paths.root, "--json"])
    #expect(approve.status == 3)
    #expect(approve.json?["error"]?["authority_required"] == "human")
    let human = try A0Binary.runAtTerminal(["approve", id, "--home", paths.root], typed: "v1.1\n")
    #expect(human.status == 0, "\(human.stdout)")
    let twice = try A0Binary.runAtTerminal(["approve", id, "--home", paths.root], typed: "v1.1\n")
    #expect(twice.status == 6)
  }

  @Test(
    "a tag that does not exist, a pre-release without the flag, and the version in production are refused")
  func refusedRequests() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1-pre"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    #expect(try A0Binary.run(["request-upgrade", "v9.9", "--home", paths.root]).status == 65)
    #expect(try A0Binary.run(["request-upgrade", "v1.1-pre", "--home", paths.root]).status == 65)
    #expect(
      try A0Binary.run(["request-upgrade", "v1.1-pre", "--home", paths.root, "--allow-prerelease"]).status
        == 0)
    try TestHome.setProduction(paths, version: "v1.0.0")
    #expect(try A0Binary.run(["request-upgrade", "v1.0", "--home", paths.root]).status == 65)
  }

  @Test("a downgrade request is marked and cannot be approved as an ordinary upgrade")
  func downgrade() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.7"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    try TestHome.setProduction(paths, version: "v1.7")
    let request = try A0Binary.run(["request-upgrade", "v1.0", "--home", paths.root, "--json"])
    #expect(request.json?["data"]?["kind"] == "downgrade")
    let plain = try A0Binary.runAtTerminal(["approve", "v1.0", "--home", paths.root], typed: "v1.0\n")
    #expect(plain.status == 6)
    let deliberate = try A0Binary.runAtTerminal(
      ["approve", "v1.0", "--downgrade", "--home", paths.root], typed: "v1.0\n")
    #expect(deliberate.status == 0, "\(deliberate.stdout)")
  }

  @Test("a tag moved between request and a forced re-check is an integrity violation (5)")
  func movedTag() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    #expect(try A0Binary.run(["request-upgrade", "v1.1", "--home", paths.root]).status == 0)
    try upstream.moveTag("v1.1")
    let recheck = try A0Binary.run([
      "request-upgrade", "v1.1", "--force-check", "--home", paths.root, "--json",
    ])
    #expect(recheck.status == 5)
    #expect(try TestHome.journalEvents(paths).last?.eventType == "integrity_violation")
  }

  @Test(
    "the GitHub API second channel confirms the tag's commit, and a disagreement is an integrity violation")
  func secondChannel() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1"])
    let good = try upstream.sha(of: "v1.0")
    let tagObject = String(repeating: "7", count: 40)
    let server = try FixtureHTTPServer(
      in: scratch.path,
      routes: [
        "/repos/agent0ai/agent-zero/git/ref/tags/v1.0":
          #"{"ref":"refs/tags/v1.0","object":{"sha":"\#(tagObject)","type":"tag"}}"#,
        "/repos/agent0ai/agent-zero/git/tags/\(tagObject)": #"{"object":{"sha":"\#(good)","type":"commit"}}"#,
        "/repos/agent0ai/agent-zero/git/ref/tags/v1.1":
          #"{"ref":"refs/tags/v1.1","object":{"sha":"\#(String(repeating: "9", count: 40))","type":"commit"}}"#,
      ])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    try TestHome.configure(paths, ["upstream.github_api": "\"\(server.baseURL)\""])
    try TestHome.put(paths, state: .idle, authority: .executor)
    let confirmed = try A0Binary.run(["request-upgrade", "v1.0", "--home", paths.root, "--json"])
    #expect(confirmed.status == 0, "\(confirmed.stdout)")
    #expect(confirmed.json?["data"]?["second_channel_checked"] == .bool(true))
    let disagreed = try A0Binary.run(["request-upgrade", "v1.1", "--home", paths.root, "--json"])
    #expect(disagreed.status == 5)
    #expect(disagreed.json?["error"]?["code"] == "integrity_violation")
    let status = try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
    #expect(status?["authority_level"] == "observer", "an integrity violation revokes executor")
  }
}
