import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func open(_ paths: HomePaths) throws -> Machine {
  try Machine.openForMutation(
    paths: paths, command: "a0 test", waitSeconds: 0, world: World(clock: ManualClock()))
}

private let human = Caller.human(identity: "alice")

@Suite("Human decisions and authority")
struct HumanDecisionTests {
  @Test("confirm moves COMPLETE to IDLE, writes known-good first, and repeats as a no-op")
  func confirm() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .complete)
    let production = ProductionInfo(
      version: "v1.1.0", commitSHA: String(repeating: "1", count: 40), buildID: "b1",
      treeHash: String(repeating: "2", count: 64), deployedAt: "2026-11-25T09:00:00.000Z")
    try TestHome.write(paths.versionFile, production.json.prettyString)
    let machine = try open(paths)
    let result = try HumanDecisions.confirm(machine, caller: human, notes: "looks good")
    #expect(result.state.currentState == .idle)
    #expect(result.state.reasonCode == .confirmationReceived)
    #expect(ProductionInfo.read(path: paths.knownGood) == production)
    let count = try TestHome.journalEvents(paths).count
    let again = try HumanDecisions.confirm(machine, caller: human, notes: "again")
    #expect(again.outcome == .alreadyDone)
    #expect(try TestHome.journalEvents(paths).count == count)
    let transition = try TestHome.journalEvents(paths).last!
    #expect(transition.actor == "human:alice")
    for field in ["from", "to", "reason_code", "notes", "authority_level", "actor"] {
      #expect(transition.details[field] != nil, "\(field)")
    }
  }

  @Test("confirm outside COMPLETE is refused with exit 2, naming the allowed next states")
  func confirmWrongState() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .validating)
    let machine = try open(paths)
    do {
      _ = try HumanDecisions.confirm(machine, caller: human, notes: "")
      Issue.record("confirmed from VALIDATING")
    } catch {
      #expect(error.kind == .wrongState)
      #expect(error.message.contains("PROMOTING") && error.message.contains("FAILED"))
    }
  }

  @Test("clear-failure moves FAILED to IDLE and marks the failure cleared")
  func clearFailure() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .failed)
    let machine = try open(paths)
    let result = try HumanDecisions.clearFailure(machine, caller: human, notes: "known issue")
    #expect(result.state.currentState == .idle)
    #expect(result.state.lastFailure?.cleared == true)
    #expect(try HumanDecisions.clearFailure(machine, caller: human, notes: "").outcome == .alreadyDone)
  }

  @Test("reset leaves FAILED_HARD for IDLE, unlocking everything, when there is no production to doubt")
  func resetFailedHard() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .failedHard)
    let machine = try open(paths)
    let result = try HumanDecisions.reset(machine, caller: human, reason: "checked")
    #expect(result.state.currentState == .idle)
    #expect(result.state.locks == .open)
  }

  @Test("reset refuses (exit 5) when production does not match its manifest")
  func resetRefusesTamperedProduction() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let build = paths.builds + "/b1"
    try FileManager.default.createDirectory(atPath: build + "/app", withIntermediateDirectories: true)
    try "v1".write(toFile: build + "/app/main.py", atomically: false, encoding: .utf8)
    let digest = try TreeHasher.digest(root: build + "/app")
    let manifest = Manifest(
      version: "v1.0.0", builtAt: "2026-11-25T09:00:00.000Z", sourceURL: "/x", commitSHA: "abc",
      files: digest.files, treeHash: digest.treeHash, buildID: "b1", buildLogPath: nil, virtualenvHash: nil)
    try TestHome.write(build + "/manifest.json", manifest.json.prettyString)
    try FileManager.default.createSymbolicLink(
      atPath: paths.root + "/app", withDestinationPath: ".billy/builds/b1/app")
    let production = ProductionInfo(
      version: "v1.0.0", commitSHA: "abc", buildID: "b1", treeHash: digest.treeHash, deployedAt: "x")
    try TestHome.write(paths.versionFile, production.json.prettyString)
    try TestHome.put(paths, state: .failedHard)
    try "tampered".write(toFile: build + "/app/main.py", atomically: false, encoding: .utf8)

    let machine = try open(paths)
    do {
      _ = try HumanDecisions.reset(machine, caller: human, reason: "try")
      Issue.record("reset vouched for a tampered production")
    } catch {
      #expect(error.kind == .integrityViolation)
      #expect(error.message.contains("main.py"))
    }
    #expect(machine.state.currentState == .failedHard)
    try "v1".write(toFile: build + "/app/main.py", atomically: false, encoding: .utf8)
    #expect(try HumanDecisions.reset(machine, caller: human, reason: "restored").state.currentState == .idle)
  }

  @Test("the agent calling a human-only command is refused, journaled, and loses executor authority")
  func unauthorizedAttempt() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .complete, authority: .executor)
    let machine = try open(paths)
    let agent = Caller.agent(name: "agent-zero", level: .executor)
    do {
      try machine.authorize(agent, needs: .human, command: "confirm")
      Issue.record("the agent passed the human gate")
    } catch {
      #expect(error.kind == .authorityDenied)
      #expect(error.authorityRequired == .human)
    }
    #expect(machine.state.authorityLevel == .observer)
    #expect(machine.state.currentState == .complete)
    let last = try TestHome.journalEvents(paths).last!
    #expect(last.eventType == "unauthorized_attempt")
    #expect(last.details["authority_revoked"] == .bool(true))
  }

  @Test("in tty mode a prompt appears only for an interactive terminal without --json")
  func ttyProof() throws {
    let config = Config.defaults(upstream: "/x", link: "app")
    let paths = HomePaths(root: "/nonexistent")
    func proof(_ interactive: Bool, _ answer: String?, json: Bool = false) -> HumanProof {
      HumanProof(
        config: config, paths: paths, terminal: FakeTerminal(isInteractive: interactive, answer: answer),
        isJSON: json, identity: { "bob" }, signatures: SSHSignatures())
    }
    guard
      case .human(let identity, _) = try proof(true, "confirm").resolve(
        action: "x", word: "confirm", payload: "")
    else {
      Issue.record("a human at a terminal was not recognised")
      return
    }
    #expect(identity == "bob")
    #expect(
      try proof(true, "confirm", json: true).resolve(action: "x", word: "confirm", payload: "") == .agent)
    #expect(try proof(false, "confirm").resolve(action: "x", word: "confirm", payload: "") == .agent)
    #expect(!proof(false, "confirm").canPrompt)
    #expect(throws: A0Error.self) {
      try proof(true, "yes").resolve(action: "x", word: "confirm", payload: "")
    }
  }
}
