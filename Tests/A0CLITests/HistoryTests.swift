import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("history")
struct HistoryTests {
  @Test("history shows the newest events, oldest first, limited")
  func history() throws {
    let scratch = ScratchDirectory()
    let home = try A0Binary.newHome(in: scratch)
    let paths = HomePaths(root: home)
    try TestHome.put(paths, state: .failed)
    try TestHome.put(paths, state: .complete)
    let result = try A0Binary.run(["history", "--home", home, "--limit", "2", "--json"])
    let events = result.json?["data"]?["events"]?.arrayValue ?? []
    #expect(events.map { $0["seq"] } == [.int(2), .int(3)])
    #expect(try A0Binary.run(["history", "--home", home, "--limit", "0"]).status == 64)
  }
}
