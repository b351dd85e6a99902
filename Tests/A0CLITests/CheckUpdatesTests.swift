import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private let realTags = [
  "v0.7", "v0.9.3-pre", "v0.9.5.1", "v0.9.8-pre", "v0.9.8", "v0.9.8.1", "v0.9.9.0", "v1.0", "v1.7", "latest",
  "nightly-2026",
]

@Suite("check-updates")
struct CheckUpdatesTests {
  @Test("check-updates orders the real upstream's tag shapes by their numbers and peels annotated tags")
  func ordering() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: realTags, annotated: ["v1.0", "v1.7"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    let all = try A0Binary.run(["check-updates", "--home", paths.root, "--json"])
    #expect(all.status == 0, "\(all.stdout)")
    let versions = all.json?["data"]?["newer"]?.arrayValue?.compactMap { $0["version"]?.stringValue }
    #expect(versions == ["v1.7", "v1.0", "v0.9.9.0", "v0.9.8.1", "v0.9.8", "v0.9.5.1", "v0.7"])
    #expect(all.json?["data"]?["ignored_tags"] == .int(2))
    let v17 = all.json?["data"]?["newer"]?.arrayValue?.first?["commit_sha"]?.stringValue
    #expect(v17 == (try upstream.sha(of: "v1.7")))

    let pre = try A0Binary.run(["check-updates", "--home", paths.root, "--json", "--allow-prerelease"])
    let withPre = pre.json?["data"]?["newer"]?.arrayValue?.compactMap { $0["version"]?.stringValue }
    #expect(withPre?.firstIndex(of: "v0.9.8-pre") == (withPre?.firstIndex(of: "v0.9.8") ?? 0) + 1)

    try TestHome.setProduction(paths, version: "v0.9.8")
    let newer = try A0Binary.run(["check-updates", "--home", paths.root, "--json"])
    let afterProduction = newer.json?["data"]?["newer"]?.arrayValue?.compactMap { $0["version"]?.stringValue }
    #expect(afterProduction == ["v1.7", "v1.0", "v0.9.9.0", "v0.9.8.1"])
    #expect(newer.json?["data"]?["production"] == "v0.9.8")
  }

  @Test("a hanging upstream gives exit 7 within its timeout")
  func hangingUpstream() throws {
    let scratch = ScratchDirectory()
    let listener = try SilentListener()
    let paths = try TestHome.initialise(
      in: scratch.path, upstream: "https://127.0.0.1:\(listener.port)/x.git")
    try TestHome.configure(paths, ["upstream.timeout_seconds": "2"])
    let started = Date()
    let result = try A0Binary.run(["check-updates", "--home", paths.root, "--json"])
    #expect(result.status == 7)
    #expect(result.json?["error"]?["code"] == "upstream_unreachable")
    #expect(Date().timeIntervalSince(started) < 10)
    let request = try A0Binary.run(["request-upgrade", "v1.0", "--home", paths.root, "--json"])
    #expect(request.status == 7)
  }
}
