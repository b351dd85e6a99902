import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func newHome(_ scratch: ScratchDirectory) throws -> String {
  let home = scratch.path + "/home"
  let result = try A0Binary.run([
    "init", "--upstream", "https://github.com/agent0ai/agent-zero.git", "--home", home,
  ])
  #expect(result.status == 0, "\(result.stderr)")
  return home
}

@Suite("init, status, explain-state, history, audit verify")
struct FoundationCommandsTests {
  @Test("init creates a home in IDLE with an intact journal; a second init is refused")
  func initialise() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
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

  @Test("a missing home is bad input (65) with what to do")
  func missingHome() throws {
    let scratch = ScratchDirectory()
    let result = try A0Binary.run(["status", "--home", scratch.path + "/nowhere", "--json"])
    #expect(result.status == 65)
    #expect(result.json?["error"]?["code"] == "bad_input")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("a0 init") == true)
  }

  @Test("status read without the argument parser prints exactly what the parsed form prints")
  func pollingForm() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
    // `--wait 0` changes nothing for status but is outside the polling form, so the parser reads it.
    for arguments in [
      ["status", "--json", "--home", home], ["status", "--home", home], ["status", "--home", home, "--json"],
      ["status", "--json", "--home", scratch.path + "/nowhere"],
      ["status", "--home", scratch.path + "/nowhere"],
    ] {
      let polled = try A0Binary.run(arguments)
      let parsed = try A0Binary.run(arguments + ["--wait", "0"])
      #expect(polled.status == parsed.status, "\(arguments)")
      #expect(polled.stdout == parsed.stdout, "\(arguments)")
      #expect(polled.stderr == parsed.stderr, "\(arguments)")
    }
    let viaEnvironment = try A0Binary.run(["status"], environment: ["A0_HOME": home])
    #expect(viaEnvironment.stdout == (try A0Binary.run(["status", "--home", home])).stdout)
    // What the polling form does not know goes to the parser, errors included.
    let typo = try A0Binary.run(["status", "--jsn", "--home", home])
    #expect(typo.status == 64)
    let twice = try A0Binary.run(["status", "--home", home, "--home", home, "--json"])
    #expect(
      twice.status
        == (try A0Binary.run(["status", "--wait", "0", "--home", home, "--home", home, "--json"])).status)
  }

  @Test("the home is found through A0_HOME and by walking up from the working directory")
  func discovery() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
    let viaEnvironment = try A0Binary.run(["status", "--json"], environment: ["A0_HOME": home])
    #expect(viaEnvironment.json?["data"]?["home"] == .string(home))
    try FileManager.default.createDirectory(atPath: home + "/deep/er", withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: A0Binary.path)
    process.arguments = ["status", "--json"]
    process.currentDirectoryURL = URL(fileURLWithPath: home + "/deep/er")
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "A0_HOME")
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(try JSONValue.parse(Array(output))["data"]?["home"] == .string(home))
  }

  @Test("explain-state names the blocked actions and the next states with their authority")
  func explain() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
    try TestHome.put(HomePaths(root: home), state: .failedHard)
    let result = try A0Binary.run(["explain-state", "--home", home, "--json"])
    let data = result.json?["data"]
    #expect(data?["current_state"] == "FAILED_HARD")
    #expect(data?["next_states"] == [["state": "IDLE", "authority": "human", "how": "a0 reset --reason"]])
    let blocked = data?["blocked_actions"]?.arrayValue?.compactMap { $0["command"]?.stringValue } ?? []
    #expect(blocked.contains("begin-staging") && blocked.contains("rollback") && !blocked.contains("reset"))
    let text = try A0Binary.run(["explain-state", "--home", home])
    #expect(text.stdout.contains("Possible next states:"))
    #expect(text.stdout.contains("upgrades are locked"))
  }

  @Test("history shows the newest events, oldest first, limited")
  func history() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
    let paths = HomePaths(root: home)
    try TestHome.put(paths, state: .failed)
    try TestHome.put(paths, state: .complete)
    let result = try A0Binary.run(["history", "--home", home, "--limit", "2", "--json"])
    let events = result.json?["data"]?["events"]?.arrayValue ?? []
    #expect(events.map { $0["seq"] } == [.int(2), .int(3)])
    #expect(try A0Binary.run(["history", "--home", home, "--limit", "0"]).status == 64)
  }

  @Test("audit verify names the first bad line of an edited journal, exit 5")
  func auditVerify() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
    let paths = HomePaths(root: home)
    try TestHome.put(paths, state: .failed)
    try TestHome.put(paths, state: .complete)
    let journal = TestHome.read(paths.journal)
    try TestHome.write(paths.journal, journal.replacingOccurrences(of: "test failure", with: "all fine"))
    let result = try A0Binary.run(["audit", "verify", "--home", home, "--json"])
    #expect(result.status == 5)
    #expect(result.json?["error"]?["code"] == "integrity_violation")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("line 2") == true)
  }

  @Test("usage errors exit 64, with a JSON envelope when --json was given")
  func usage() throws {
    let scratch = ScratchDirectory()
    let home = try newHome(scratch)
    let result = try A0Binary.run(["status", "--home", home, "--json", "--colour"])
    #expect(result.status == 64)
    #expect(result.json?["error"]?["code"] == "usage")
    #expect(try A0Binary.run(["reset", "--home", home]).status == 64)
    #expect(try A0Binary.run(["frobnicate"]).status == 64)
    let help = try A0Binary.run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("5 integrity violation"))
  }
}
