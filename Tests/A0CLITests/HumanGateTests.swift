import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func home(_ scratch: ScratchDirectory, state: LifecycleState, authority: AuthorityLevel = .observer)
  throws
  -> HomePaths
{
  let paths = try TestHome.create(in: scratch.path)
  try TestHome.put(paths, state: state, authority: authority)
  return paths
}

@Suite("Human-only commands")
struct HumanGateTests {
  static let humanOnly: [([String], LifecycleState)] = [
    (["confirm"], .complete), (["clear-failure"], .failed), (["reset", "--reason", "x"], .failedHard),
  ]

  @Test(
    "the agent (no terminal, --json) is refused with exit 3 and authority_required human",
    arguments: humanOnly)
  func agentRefused(arguments: [String], state: LifecycleState) throws {
    let scratch = ScratchDirectory()
    let paths = try home(scratch, state: state, authority: state == .failedHard ? .observer : .executor)
    let result = try A0Binary.run(arguments + ["--home", paths.root, "--json"])
    #expect(result.status == 3)
    #expect(result.json?["status"] == "error")
    #expect(result.json?["error"]?["code"] == "authority_denied")
    #expect(result.json?["error"]?["exit_code"] == .int(3))
    #expect(result.json?["error"]?["authority_required"] == "human")
    let status = try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
    #expect(status?["current_state"] == .string(state.rawValue))
    #expect(status?["authority_level"] == "observer")
    #expect(try TestHome.journalEvents(paths).last?.eventType == "unauthorized_attempt")
  }

  @Test("without --json but without a terminal, a human-only command still fails with exit 3")
  func pipedStdin() throws {
    let scratch = ScratchDirectory()
    let paths = try home(scratch, state: .failed)
    let result = try A0Binary.run(["clear-failure", "--home", paths.root], stdin: "clear-failure\n")
    #expect(result.status == 3)
    #expect(result.stderr.contains("needs human authority"))
  }

  @Test("a human at a real terminal who types the word is accepted", arguments: humanOnly)
  func humanAtTerminal(arguments: [String], state: LifecycleState) throws {
    let scratch = ScratchDirectory()
    let paths = try home(scratch, state: state)
    let word = arguments[0] == "reset" ? "reset" : arguments[0]
    let result = try A0Binary.runAtTerminal(arguments + ["--home", paths.root], typed: word + "\n")
    #expect(result.status == 0, "\(result.stdout)")
    let status = try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
    #expect(status?["current_state"] == "IDLE")
    let last = try TestHome.journalEvents(paths).last!
    #expect(last.actor.hasPrefix("human:"))
    #expect(last.details["authority_level"] == "human")
  }

  @Test("a human who types the wrong word is refused and nothing changes")
  func wrongWord() throws {
    let scratch = ScratchDirectory()
    let paths = try home(scratch, state: .complete)
    let result = try A0Binary.runAtTerminal(["confirm", "--home", paths.root], typed: "yes\n")
    #expect(result.status == 3)
    let status = try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
    #expect(status?["current_state"] == "COMPLETE")
  }

  @Test("a human in the wrong state gets exit 2 before being asked to type anything")
  func wrongStateFirst() throws {
    let scratch = ScratchDirectory()
    let paths = try home(scratch, state: .validating)
    let result = try A0Binary.runAtTerminal(["confirm", "--home", paths.root], typed: "")
    #expect(result.status == 2)
    #expect(!result.stdout.contains("Type "))
  }
}
