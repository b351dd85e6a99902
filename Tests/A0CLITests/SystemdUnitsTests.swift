import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// deploy/systemd/: units systemd accepts, whose a0 command line works as written.
@Suite("systemd units")
struct SystemdUnitsTests {
  static let directory = FileIO.parent(of: FileIO.parent(of: SampleApp.examples)) + "/deploy/systemd"

  func setting(_ key: String, in unit: String) throws -> String? {
    let text = try String(contentsOfFile: Self.directory + "/" + unit, encoding: .utf8)
    return text.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map {
      String($0.dropFirst(key.count + 1))
    }
  }

  @Test(
    "systemd-analyze verify passes the units and fails a misspelt key",
    .enabled(if: Needs.tool("systemd-analyze"), Comment(rawValue: Needs.systemdReason)))
  func verify() throws {
    let verified = try A0Binary.runProgram(Self.directory + "/verify", [], stdin: "", environment: [:])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    let scratch = ScratchDirectory()
    for unit in try FileManager.default.contentsOfDirectory(atPath: Self.directory)
    where unit.hasSuffix(".service") || unit.hasSuffix(".timer") {
      try FileManager.default.copyItem(atPath: Self.directory + "/" + unit, toPath: scratch.path + "/" + unit)
    }
    let timer = scratch.path + "/a0-check-updates.timer"
    try (try String(contentsOfFile: timer, encoding: .utf8)).replacingOccurrences(
      of: "OnCalendar=", with: "OnCalender="
    ).write(toFile: timer, atomically: true, encoding: .utf8)
    let broken = try A0Binary.runProgram(
      Self.directory + "/verify", [scratch.path], stdin: "", environment: [:])
    #expect(broken.status != 0 && broken.stderr.contains("OnCalender"), "\(broken.stderr)")
  }

  @Test("the timer's command line, on a home, journals the new release once; the service runs from the link")
  func commandLine() throws {
    let execStart = try #require(try setting("ExecStart", in: "a0-check-updates.service"))
    let words = execStart.split(separator: " ").map(String.init)
    #expect(words.first == "/usr/local/bin/a0" && words[1...2] == ["--home", "/srv/a0/app"], "\(words)")
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0.0"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
    try TestHome.configure(paths, ["upstream.github_api": "\"\""])
    let arguments = ["--home", paths.root] + words.dropFirst(3)
    for expected in [1, 0] {
      let run = try A0Binary.run(arguments + ["--json"])
      #expect(run.status == 0, "\(run.stdout)")
      #expect(run.json?["data"]?["announced"]?.arrayValue?.count == expected, "\(run.stdout)")
    }
    // The README's deployment: home /srv/a0/app, a0 init's link name.
    #expect(try setting("WorkingDirectory", in: "agent-zero.service") == "/srv/a0/app/agent-zero")
    #expect(
      try setting("ExecStart", in: "agent-zero.service")?.hasPrefix(
        "/srv/a0/app/agent-zero/.venv/bin/python run_ui.py") == true)
  }
}
