import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("explain-state")
struct ExplainStateTests {
  @Test("explain-state names the blocked actions and the next states with their authority")
  func explain() throws {
    let scratch = ScratchDirectory()
    let home = try A0Binary.newHome(in: scratch)
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
}
