import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// `[policy] promote_windows`: the one step users feel waits for its window;
/// a human may leave it, the agent may not, and rollbacks never wait.
@Suite("Maintenance windows")
struct MaintenanceWindowTests {
  /// A daily UTC window `hours` from now, an hour long, and when it opens.
  func windowAhead(hours: Int) -> (text: String, opens: Date) {
    let now = Date()
    let minuteNow = Int(now.timeIntervalSince1970) / 60
    let start = (minuteNow + hours * 60) % 1440
    func clock(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60 % 24, minute % 60) }
    let opens = Date(timeIntervalSince1970: Double((minuteNow + hours * 60) * 60))
    return ("daily \(clock(start))-\(clock(start + 60))", opens)
  }

  @Test("a closed window stops upgrade in VALIDATING (2); the agent cannot use --now, a human can")
  func closedWindow() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    let (window, opens) = windowAhead(hours: 2)
    try TestHome.configure(
      paths, ["policy.promote_windows": "[\"\(window)\"]", "policy.time_zone": "\"UTC\""])

    let held = try SampleApp.upgrade(paths, to: "v1.1.0")
    #expect(held.status == 2, "\(held.stdout)")
    let error = held.json?["error"]
    #expect(error?["message"]?.stringValue?.contains("waits for its window") == true, "\(held.stdout)")
    #expect(error?["next"]?.stringValue?.contains("a0 promote --now") == true, "\(held.stdout)")
    let status = try #require(try SampleApp.status(paths))
    #expect(status["current_state"] == "VALIDATING")
    #expect(ProductionInfo.read(paths)?.version == "v1.0.0", "production untouched")
    #expect(SampleApp.servedVersion(paths) == "v1.0.0")

    let explained = try SampleApp.agent(paths, ["explain-state"])
    let windows = explained.json?["data"]?["promote_windows"]
    #expect(windows?["open_now"] == false, "\(explained.stdout)")
    let opensAt = try #require(windows?["opens_at"]?.stringValue.flatMap(Timestamp.init(iso8601:)))
    #expect(abs(Double(opensAt.millisecondsSinceEpoch) / 1000 - opens.timeIntervalSince1970) <= 60)
    let blocked = explained.json?["data"]?["blocked_actions"]?.arrayValue ?? []
    #expect(
      blocked.contains {
        $0["command"] == "promote"
          && $0["why"]?.stringValue?.contains("waits for the window \(window)") == true
      }, "\(blocked)")

    #expect(try SampleApp.agent(paths, ["promote"]).status == 2, "the agent waits for the window")
    let agentOverride = try SampleApp.agent(paths, ["promote", "--now"])
    #expect(agentOverride.status == 3, "only a human leaves the window: \(agentOverride.stdout)")
    #expect(ProductionInfo.read(paths)?.version == "v1.0.0")
    #expect(
      try SampleApp.status(paths)?["authority_level"] != "executor", "trying costs the agent its authority")

    let human = try A0Binary.runAtTerminal(
      ["promote", "--now", "--home", paths.root], typed: "v1.1.0\n")
    #expect(human.status == 0, "\(human.stdout)")
    #expect(ProductionInfo.read(paths)?.version == "v1.1.0")
    #expect(SampleApp.servedVersion(paths) == "v1.1.0")
    let started = try Journal(path: paths.journal).events(from: 1).last {
      $0.eventType == "state_transition" && $0.details["to"] == "PROMOTING"
    }
    #expect(started?.details["outside_window"]?.stringValue == "\(window) (UTC)", "the override is on record")
    #expect(started?.actor.hasPrefix("human:") == true)

    // A rollback restores what ran before: it never waits for a window.
    let reset = try A0Binary.runAtTerminal(
      ["reset", "--reason", "back to v1.0.0", "--home", paths.root], typed: "reset\n")
    #expect(reset.status == 0, "\(reset.stdout)")
    let rollback = try A0Binary.runAtTerminal(["rollback", "--home", paths.root], typed: "rollback\n")
    #expect(rollback.status == 0, "\(rollback.stdout)")
    #expect(ProductionInfo.read(paths)?.version == "v1.0.0")
  }

  @Test("an open window lets the agent's upgrade through")
  func openWindow() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path, version: "v1.0.0")
    defer { SampleApp.stopService(paths) }
    let (window, _) = windowAhead(hours: 0)
    try TestHome.configure(
      paths, ["policy.promote_windows": "[\"\(window)\"]", "policy.time_zone": "\"UTC\""])
    let result = try SampleApp.agent(paths, ["upgrade", "v1.0.0"])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(ProductionInfo.read(paths)?.version == "v1.0.0")
  }
}
