import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func makeInstall(_ scratch: ScratchDirectory) throws -> (UpstreamFixture, String) {
  let upstream = try UpstreamFixture(in: scratch.path, tags: ["v0.9.8"])
  // Agent Zero tracks placeholders inside its data paths (usr/knowledge/.gitkeep).
  try upstream.commit(tag: "v1.0") { work in
    try FileManager.default.createDirectory(
      atPath: work + "/usr/knowledge", withIntermediateDirectories: true)
    try "".write(toFile: work + "/usr/knowledge/.gitkeep", atomically: false, encoding: .utf8)
    try "v1.0\n".write(toFile: work + "/VERSION", atomically: false, encoding: .utf8)
  }
  let install = scratch.path + "/install"
  let git = ProcessRunner()
  #expect(
    try git.run(
      CommandLineSpec(["git", "clone", "-q", "--branch", "v1.0", upstream.bare, install], timeoutSeconds: 60)
    ).succeeded)
  #expect(
    try git.run(
      CommandLineSpec(["python3", "-m", "venv", "--without-pip", install + "/.venv"], timeoutSeconds: 120)
    ).succeeded)
  // Agent Zero v1.x keeps its data in usr/, caches in tmp/, and a log per start in logs/.
  for directory in ["usr/projects", "usr/memory/default", "tmp", "logs", "__pycache__"] {
    try FileManager.default.createDirectory(
      atPath: install + "/" + directory, withIntermediateDirectories: true)
  }
  try "API_KEY=secret\n".write(toFile: install + "/usr/.env", atomically: false, encoding: .utf8)
  try "project notes".write(toFile: install + "/usr/projects/p.txt", atomically: false, encoding: .utf8)
  try "{}".write(toFile: install + "/usr/memory/default/m.json", atomically: false, encoding: .utf8)
  try #"{"theme":"dark"}"#.write(toFile: install + "/tmp/settings.json", atomically: false, encoding: .utf8)
  try "started".write(toFile: install + "/logs/log_1.html", atomically: false, encoding: .utf8)
  try "bytecode".write(toFile: install + "/__pycache__/x.pyc", atomically: false, encoding: .utf8)
  return (upstream, install)
}

@Suite("init --adopt")
struct AdoptionTests {
  @Test("an existing clean install becomes the first release and known-good, its user data moved, not lost")
  func adopt() throws {
    let scratch = ScratchDirectory()
    let (upstream, install) = try makeInstall(scratch)
    let home = scratch.path + "/home"
    let result = try A0Binary.run([
      "init", "--upstream", upstream.bare, "--adopt", install, "--home", home, "--json",
    ])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: install))
    let paths = HomePaths(root: home)
    #expect(ProductionInfo.read(paths)?.version == "v1.0")
    #expect(ProductionInfo.read(path: paths.knownGood)?.version == "v1.0")
    #expect(TestHome.read(home + "/agent-zero/usr/.env") == "API_KEY=secret\n")
    #expect(TestHome.read(paths.shared + "/usr/projects/p.txt") == "project notes")
    #expect(TestHome.read(paths.shared + "/tmp/settings.json") == #"{"theme":"dark"}"#)
    #expect(TestHome.read(paths.shared + "/logs/log_1.html") == "started")
    #expect(TestHome.read(home + "/agent-zero/usr/memory/default/m.json") == "{}")
    #expect(TestHome.read(home + "/agent-zero/VERSION") == "v1.0\n")
    #expect(try A0Binary.run(["verify", "--home", home]).status == 0)
    let listed = try A0Binary.run(["list-artifacts", "--home", home, "--json"]).json?["data"]?["artifacts"]
    #expect(listed?.arrayValue?.first?["roles"] == ["production", "known-good"])
    #expect(try TestHome.journalEvents(paths).contains { $0.eventType == "adopted" })
  }

  @Test("an install with local code changes is refused and left exactly as it was")
  func localChanges() throws {
    let scratch = ScratchDirectory()
    let (upstream, install) = try makeInstall(scratch)
    try "edited\n".write(toFile: install + "/VERSION", atomically: false, encoding: .utf8)
    let home = scratch.path + "/home"
    let result = try A0Binary.run([
      "init", "--upstream", upstream.bare, "--adopt", install, "--home", home, "--json",
    ])
    #expect(result.status == 65)
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("local code changes") == true)
    #expect(TestHome.read(install + "/VERSION") == "edited\n")
    #expect(TestHome.read(install + "/usr/.env") == "API_KEY=secret\n")
    #expect(!FileManager.default.fileExists(atPath: home + "/.billy"))
  }

  @Test(
    "data outside the linked paths (an older release's top-level .env and memory/) is refused, named, and left as it was"
  )
  func strandedLegacyData() throws {
    let scratch = ScratchDirectory()
    let (upstream, install) = try makeInstall(scratch)
    try FileManager.default.createDirectory(atPath: install + "/memory", withIntermediateDirectories: true)
    try "{}".write(toFile: install + "/memory/old.json", atomically: false, encoding: .utf8)
    try "OLD_KEY=1\n".write(toFile: install + "/.env", atomically: false, encoding: .utf8)
    let home = scratch.path + "/home"
    let refused = try A0Binary.run([
      "init", "--upstream", upstream.bare, "--adopt", install, "--home", home, "--json",
    ])
    #expect(refused.status == 65, "\(refused.stdout)")
    let named = refused.json?["error"]?["what"]?.stringValue ?? ""
    #expect(named.hasSuffix("outside [data] linked_paths: .env, memory/"), "\(named)")
    #expect(TestHome.read(install + "/memory/old.json") == "{}")
    #expect(!FileManager.default.fileExists(atPath: home + "/.billy"))

    // As Agent Zero's start-up migration would: into usr/, replacing
    // usr/knowledge/ with its tracked placeholder. Then adoption carries everything.
    #expect(unlink(install + "/usr/knowledge/.gitkeep") == 0)
    #expect(rename(install + "/.env", install + "/usr/legacy.env") == 0)
    #expect(rename(install + "/memory/old.json", install + "/usr/memory/old.json") == 0)
    #expect(rmdir(install + "/memory") == 0)
    let adopted = try A0Binary.run([
      "init", "--upstream", upstream.bare, "--adopt", install, "--home", home, "--json",
    ])
    #expect(adopted.status == 0, "\(adopted.stdout)")
    #expect(TestHome.read(HomePaths(root: home).shared + "/usr/memory/old.json") == "{}")
  }
}
