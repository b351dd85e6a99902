import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// `[policy]`: what check-updates offers and request-upgrade accepts,
/// relative to production.
@Suite("Update policy")
struct PolicyTests {
  func home(_ scratch: ScratchDirectory, tags: [(String, Int)], production: String?) throws
    -> (HomePaths, UpstreamFixture)
  {
    let upstream = try UpstreamFixture(in: scratch.path, tags: [])
    for (tag, hoursAgo) in tags { try upstream.commit(tag: tag, hoursAgo: hoursAgo) }
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    try TestHome.configure(paths, ["upstream.github_api": "\"\""])
    if let production { try TestHome.setProduction(paths, version: production) }
    return (paths, upstream)
  }

  func offered(_ paths: HomePaths, _ extra: [String] = []) throws -> (offered: [String], held: [JSONValue]) {
    let result = try A0Binary.run(["check-updates", "--home", paths.root, "--json"] + extra)
    #expect(result.status == 0, "\(result.stdout)")
    let data = result.json?["data"]
    return (
      data?["newer"]?.arrayValue?.compactMap { $0["version"]?.stringValue } ?? [],
      data?["held_back"]?.arrayValue ?? []
    )
  }

  func request(_ paths: HomePaths, _ version: String, _ extra: [String] = []) throws -> A0Binary.Result {
    try A0Binary.run(
      ["request-upgrade", version, "--reason", "policy test", "--home", paths.root, "--json"] + extra)
  }

  @Test("track keeps what is offered and accepted within production's line")
  func track() throws {
    let scratch = ScratchDirectory()
    let tags = ["v0.9.0", "v1.0.0", "v1.0.1", "v1.1.0", "v2.0.0"].map { ($0, 0) }
    let (paths, _) = try home(scratch, tags: tags, production: "v1.0.0")
    let expected: [(String, [String], String, String)] = [
      ("patch", ["v1.0.1"], "v1.1.0", "v1.0.1"), ("minor", ["v1.1.0", "v1.0.1"], "v2.0.0", "v1.1.0"),
      ("major", ["v2.0.0", "v1.1.0", "v1.0.1"], "v0.9.0", "v2.0.0"),
    ]
    for (track, offers, refused, accepted) in expected {
      try TestHome.configure(paths, ["policy.track": "\"\(track)\""])
      let (offered, held) = try offered(paths)
      #expect(offered == offers, "\(track)")
      #expect(held.count == 3 - offers.count, "the newer versions it does not offer are held back: \(held)")
      #expect(
        held.allSatisfy { $0["reason"]?.stringValue?.contains("track = \"\(track)\"") == true }, "\(held)")
      let refusal = try request(paths, refused)
      #expect(refusal.status == 65, "\(track): \(refusal.stdout)")
      #expect(refusal.json?["error"]?["why"]?.stringValue?.contains("[policy] track = \"\(track)\"") == true)
      #expect(try request(paths, accepted).status == 0, "\(track) accepts \(accepted)")
    }
    try TestHome.configure(paths, ["policy.track": "\"any\""])
    let downgrade = try request(paths, "v0.9.0")
    #expect(downgrade.status == 0 && downgrade.json?["data"]?["kind"] == "downgrade", "\(downgrade.stdout)")
  }

  @Test("min_release_age_hours holds a fresh tag back until the hour it becomes eligible")
  func releaseAge() throws {
    let scratch = ScratchDirectory()
    let (paths, upstream) = try home(scratch, tags: [("v1.0.1", 100), ("v1.0.2", 1)], production: "v1.0.0")
    try TestHome.configure(paths, ["policy.min_release_age_hours": "48"])
    let (offered, held) = try offered(paths)
    #expect(offered == ["v1.0.1"])
    #expect(held.first?["version"] == "v1.0.2", "\(held)")
    let eligible = try #require(held.first?["eligible_at"]?.stringValue.flatMap(Timestamp.init(iso8601:)))
    let expected = Date().timeIntervalSince1970 + 47 * 3600
    #expect(abs(Double(eligible.millisecondsSinceEpoch) / 1000 - expected) < 120, "\(eligible.iso8601)")
    let refusal = try request(paths, "v1.0.2")
    #expect(refusal.status == 65, "\(refusal.stdout)")
    #expect(refusal.json?["error"]?["why"]?.stringValue?.contains("eligible at \(eligible.iso8601)") == true)
    #expect(try request(paths, "v1.0.1").status == 0)
    // The age is the commit's, read from upstream: the tag's commit is what was checked.
    #expect(held.first?["commit_sha"]?.stringValue == (try upstream.sha(of: "v1.0.2")))

    // An annotated tag made now on a commit of 100 h ago is a release of now.
    try upstream.commit(tag: "v1.0.3", annotated: true, hoursAgo: 100)
    let later = try self.offered(paths)
    #expect(later.held.map { $0["version"] } == ["v1.0.3", "v1.0.2"], "\(later.held)")
    let cache = paths.cache + "/release-times.git"
    let loose = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/refs/a0")) ?? []
    let packed = (try? String(contentsOfFile: cache + "/packed-refs", encoding: .utf8)) ?? ""
    #expect(FileManager.default.fileExists(atPath: cache + "/HEAD"))
    #expect(loose.isEmpty && !packed.contains("refs/a0/"), "each read's ref is removed after it: \(loose)")
  }

  @Test("allow_prerelease decides over the caller: false refuses even when asked, true offers unasked")
  func prereleases() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try home(scratch, tags: [("v1.1.0-rc.1", 0)], production: "v1.0.0")
    try TestHome.configure(paths, ["policy.allow_prerelease": "false"])
    let refused = try request(paths, "v1.1.0-rc.1", ["--allow-prerelease"])
    #expect(refused.status == 65, "\(refused.stdout)")
    #expect(refused.json?["error"]?["why"] == "[policy] allow_prerelease = false")
    #expect(try offered(paths, ["--allow-prerelease"]).offered.isEmpty)
    try TestHome.configure(paths, ["policy.allow_prerelease": "true"])
    #expect(try offered(paths).offered == ["v1.1.0-rc.1"])
    #expect(try request(paths, "v1.1.0-rc.1").status == 0)
  }

  @Test(
    "a [policy] a0 cannot follow is bad input (65) naming the key",
    arguments: [
      ("track", "\"sometimes\"", "policy.track"),
      ("min_release_age_hours", "-1", "policy.min_release_age_hours"),
      ("allow_prerelease", "\"yes\"", "policy.allow_prerelease"), ("windows", "[]", "policy.windows"),
      ("promote_windows", "[\"Sat 2am-5am\"]", "policy.promote_windows"),
      ("promote_windows", "\"Sat 02:00-05:00\"", "policy.promote_windows"),
      ("time_zone", "\"Mars/Olympus\"", "policy.time_zone"),
      ("time_zone", "\"../../../etc/passwd\"", "policy.time_zone"),
    ])
  func badPolicy(key: String, value: String, named: String) throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try home(scratch, tags: [], production: nil)
    try TestHome.configure(paths, ["policy.\(key)": value])
    let result = try A0Binary.run(["status", "--home", paths.root, "--json"])
    #expect(result.status == 65, "\(result.stdout)")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains(named) == true, "\(result.stdout)")
  }
}
