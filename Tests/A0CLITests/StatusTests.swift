import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("status and finding the home")
struct StatusTests {
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
    let home = try A0Binary.newHome(in: scratch)
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
    let home = try A0Binary.newHome(in: scratch)
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
}
