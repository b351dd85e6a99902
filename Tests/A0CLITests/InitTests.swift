import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("a0 init")
struct InitTests {
  @Test("init creates a home in IDLE with an intact journal; a second init is refused")
  func initialise() throws {
    let scratch = ScratchDirectory()
    let home = try A0Binary.newHome(in: scratch)
    let status = try A0Binary.run(["status", "--home", home, "--json"])
    #expect(status.status == 0)
    let data = status.json?["data"]
    #expect(status.json?["status"] == "success")
    #expect(status.json?["command"] == "status")
    #expect(data?["current_state"] == "IDLE")
    #expect(data?["authority_level"] == "observer")
    #expect(data?["locks"]?["upgrade_locked"] == .bool(false))
    #expect(data?["active_operation"] == .null)
    #expect(data?["production"] == .null)
    #expect(try A0Binary.run(["audit", "verify", "--home", home]).status == 0)
    let config = TestHome.read(home + "/.billy/config.toml")
    #expect(config.contains("github_api = \"https://api.github.com\""))

    let again = try A0Binary.run(["init", "--upstream", "/srv/other.git", "--home", home, "--json"])
    #expect(again.status == 2)
    #expect(again.json?["error"]?["code"] == "wrong_state")
    #expect(TestHome.read(home + "/.billy/config.toml") == config)
  }

  @Test(
    "init refuses hostile upstreams and link names with exit 65 and creates nothing",
    arguments: [
      ["--upstream", "--upload-pack=touch /tmp/x"], ["--upstream", "ext::sh -c id"],
      ["--upstream", "relative/path"],
      ["--upstream", "/srv/x.git", "--name", "../escape"], ["--upstream", "/srv/x.git", "--name", ".billy"],
    ])
  func hostileInit(arguments: [String]) throws {
    let scratch = ScratchDirectory()
    let home = scratch.path + "/home"
    let result = try A0Binary.run(["init", "--home", home, "--json"] + arguments)
    #expect(result.status == 65 || result.status == 64)
    #expect(!FileManager.default.fileExists(atPath: home + "/.billy"))
  }
}
