import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Rolling back to an approved version")
struct RollbackTargetTests {
  @Test("an artifact built before its tag moved is not what an approval of the moved tag names (6)")
  func movedTag() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1"])
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare, name: "app")
    try TestHome.configure(
      paths,
      [
        "python.interpreter": "\"python3\"", "python.installer": "\"none\"", "data.linked_paths": "[]",
        "validation.required_files": "[\"NOT-IN-THE-RELEASE\"]",
      ])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.1")
    #expect(try SampleApp.agent(paths, ["begin-staging", "v1.1"]).status == 0)
    let built = try #require(try Artifacts.find(paths, version: "v1.1")).manifest.commitSHA
    #expect(try SampleApp.agent(paths, ["validate", "--only", "structure"]).status == 1)
    let cleared = try A0Binary.runAtTerminal(
      ["clear-failure", "--reason", "test", "--home", paths.root], typed: "clear-failure\n")
    #expect(cleared.status == 0, "\(cleared.stdout)")

    try upstream.moveTag("v1.1")
    try SampleApp.approve(paths, "v1.1")
    try TestHome.put(paths, state: .idle, authority: .executor)
    let before = ProductionInfo.read(paths)
    let result = try SampleApp.agent(paths, ["rollback", "--to", "v1.1"])
    #expect(result.status == 6, "\(result.stdout)")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains(built) == true)
    #expect(ProductionInfo.read(paths) == before)
    #expect(try SampleApp.status(paths)?["current_state"] == "IDLE")
  }
}
