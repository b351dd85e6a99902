import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@testable import A0CLI

/// The operations run in this process over a world a test controls: the
/// commands they run recorded, a clock moved past an expiry, a health
/// endpoint that never answers.
@Suite("Operations over an injected world", .serialized)
struct WorldTests {
  func context(_ paths: HomePaths, world: World) throws -> CommandContext {
    try CommandContext(
      options: GlobalSettings(home: paths.root, json: true), world: world, terminal: NoTerminal())
  }

  static let installs = [
    (
      "pip",
      [
        "python -m venv", "python -m pip install requirements.txt", "python -m pip install requirements2.txt",
      ], "python -m pip check"
    ),
    ("uv", ["uv venv", "uv pip compile", "uv pip sync"], "uv pip check"),
  ]

  @Test(
    "a staging and a validation run exactly these external commands, in this order",
    arguments: installs.indices)
  func commandsOfStagingAndValidation(_ index: Int) throws {
    let (installer, install, check) = Self.installs[index]
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path, installer: installer)
    let recorder = RecordingRunner()
    let context = try context(paths, world: recorder.world())
    _ = try BeginStaging.parse(["v1.0.0"]).perform(context)
    let staging = recorder.commands.map(RecordingRunner.summary)
    let source = ["git clone", "git rev-parse", "git update-ref", "git symbolic-ref"]
    #expect(staging == source + install + ["python program"], "\(staging)")
    _ = try Validate.parse([]).perform(context)
    // The health check's server is started in the background and probed over a socket: neither is a command.
    let validation = Array(recorder.commands.dropFirst(staging.count).map(RecordingRunner.summary))
    #expect(validation == ["python program", check, "python program"], "\(validation)")
    // Every git command carries the safety options and git's own environment.
    for spec in recorder.commands where spec.arguments.first == "git" {
      #expect(spec.arguments.contains("protocol.allow=never"), "\(spec.display)")
      #expect(spec.environment["GIT_CONFIG_NOSYSTEM"] == "1", "\(spec.display)")
    }
  }

  @Test("an approval is refused once the clock has passed its expiry, and nothing is staged")
  func approvalExpiredByTheClock() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    let later = ManualClock(SystemClock().now())
    later.advance(seconds: 25 * 3600)
    let recorder = RecordingRunner()
    #expect {
      _ = try BeginStaging.parse(["v1.0.0"]).perform(try context(paths, world: recorder.world(clock: later)))
    } throws: { error in
      guard let error = error as? A0Error else { return false }
      return error.kind == .approvalRequired && "\(error.message) \(error.why ?? "")".contains("expired")
    }
    #expect(recorder.commands.isEmpty, "\(recorder.commands.map(\.display))")
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "IDLE", "\(String(describing: status))")
  }

  @Test("a release whose health endpoint never answers fails validation on the health check alone")
  func healthEndpointThatNeverAnswers() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.configure(paths, ["service.health_timeout_seconds": "2"])
    let world = World(http: { _ in UnansweredHTTP() })
    #expect {
      _ = try Validate.parse([]).perform(try context(paths, world: world))
    } throws: { error in
      (error as? A0Error)?.message.contains("health: not healthy within 2 s") == true
    }
    let reports = paths.reports + "/v1.0.0"
    let report = try #require(try FileManager.default.contentsOfDirectory(atPath: reports).first)
    let json = try JSONValue.parse(TestHome.read(reports + "/" + report))
    let checks = json["checks"]?.arrayValue ?? []
    let failed = checks.filter { $0["status"] == "fail" }.compactMap { $0["check"]?.stringValue }
    #expect(failed == ["health"], "\(json)")
    #expect(
      checks.first { $0["check"] == "health" }?["output_tail"]?.stringValue?.contains("no answer") == true,
      "\(json)")
    #expect(try SampleApp.status(paths)?["current_state"] == "FAILED")
  }
}
