import A0Core
import A0Lifecycle
import A0System
import A0TestRandom
import A0TestSupport
import Foundation
import Testing

@testable import A0CLI

/// Runs the Python MCP client (the package Agent Zero uses) against `a0 mcp`.
private func connect(_ paths: HomePaths, _ calls: [(String, [String: Any])]) throws -> JSONValue {
  let encoded = try JSONSerialization.data(withJSONObject: calls.map { [$0.0, $0.1] as [Any] })
  let result = try ProcessRunner(environment: TestTools.callerTools).run(
    CommandLineSpec(
      [
        "python3", SampleApp.examples + "/../mcp-call.py", A0Binary.path, paths.root,
        String(decoding: encoded, as: UTF8.self),
      ], timeoutSeconds: 300))
  guard result.succeeded, let document = try? JSONValue.parse(result.stdoutText) else {
    throw FixtureError(message: "mcp-call.py: \(result.tail(lines: 20))")
  }
  return document
}

private func call(_ document: JSONValue, _ index: Int) -> JSONValue {
  document["calls"]?.arrayValue?[index] ?? .null
}

@Suite("a0 mcp: the agent's tools through the same gate", .serialized)
struct MCPTests {
  @Test("the tools offered are the table's: every action no human is needed for, and none that needs one")
  func toolsFollowTheRules() {
    let offered = Set(AgentTool.offered.compactMap(\.action))
    let agentActions = Set(Action.allCases.filter { ActionRules.rule($0).authority != .human })
    #expect(offered == agentActions)
    #expect(AgentTool.offered.count == Set(AgentTool.offered.map(\.name)).count)
  }

  static let pythonClient = Needs.pythonModule("mcp")

  @Test(
    "the tools are the agent's commands, with closed schemas; human-only commands are not offered",
    .enabled(if: pythonClient, Comment(rawValue: Needs.mcpReason)))
  func toolList() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    let document = try connect(paths, [])
    #expect(document["server"] == "a0")
    let tools = document["tools"]?.arrayValue ?? []
    let names = Set(tools.compactMap { $0["name"]?.stringValue })
    #expect(
      names == [
        "status", "explain_state", "history", "audit_verify", "check_updates", "request_upgrade",
        "pending_approvals", "staging_status", "list_artifacts", "verify", "begin_staging", "validate",
        "promote", "upgrade", "rollback", "cleanup_artifacts",
      ])
    for tool in tools {
      let name = tool["name"]?.stringValue ?? ""
      #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name)")
      #expect(tool["schema"]?["additionalProperties"] == false, "\(name)")
      #expect((tool["description"]?.stringValue ?? "").count > 40, "\(name) is described for a model")
    }
    let upgrade = tools.first { $0["name"] == "upgrade" }
    #expect(upgrade?["schema"]?["required"] == ["version"])
    #expect(upgrade?["annotations"]?["destructiveHint"] == true)
    #expect(tools.first { $0["name"] == "status" }?["annotations"]?["readOnlyHint"] == true)
  }

  @Test(
    "status is `a0 status --json`'s data; request_upgrade creates a pending request; approve is refused, journaled and revokes executor",
    .enabled(if: pythonClient, Comment(rawValue: Needs.mcpReason)))
  func gate() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try TestHome.put(paths, state: .idle, authority: .executor)
    let cli = try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
    let document = try connect(
      paths,
      [
        ("status", [:]), ("request_upgrade", ["version": "v1.0.0", "reason": "from the agent"]),
        ("approve", ["version": "v1.0.0"]), ("request_upgrade", ["version": "--home=/etc"]),
        ("history", ["limit": "three"]),
      ])
    #expect(call(document, 0)["isError"] == false)
    #expect(call(document, 0)["structured"] == cli)

    #expect(call(document, 1)["isError"] == false)
    #expect(call(document, 1)["structured"]?["status"] == "pending")
    let pending = try A0Binary.run(["pending-approvals", "--home", paths.root, "--json"])
    #expect(pending.stdout.contains("from the agent"))

    #expect(call(document, 2)["isError"] == true)
    #expect(call(document, 2)["structured"]?["code"] == "authority_denied")
    let status = try SampleApp.status(paths)
    #expect(status?["authority_level"] == "observer", "executor authority is revoked")
    let refused = try TestHome.journalEvents(paths).last { $0.eventType == "unauthorized_attempt" }
    #expect(refused?.details["command"] == "approve")
    #expect(refused?.details["authority_revoked"] == true)
    #expect(refused?.details["via"]?["front_end"] == "mcp")
    #expect(refused?.details["via"]?["client"]?.stringValue?.hasPrefix("mcp ") == true)

    #expect(call(document, 3)["structured"]?["code"] == "bad_input", "a value is never read as an option")
    #expect(call(document, 4)["structured"]?["code"] == "bad_input")
  }

  @Test(
    "a request made through a0 mcp reaches [notify] as one made on the command line does",
    .enabled(if: pythonClient, Comment(rawValue: Needs.mcpReason)))
  func notifies() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    let out = scratch.path + "/notifications.jsonl"
    try TestHome.configure(
      paths,
      ["notify.command": "[\"/bin/sh\", \"-c\", \(TOMLText.quote("cat >> \(A0Binary.shellQuote(out))"))]"])
    let document = try connect(
      paths, [("request_upgrade", ["version": "v1.0.0", "reason": "from the agent"]), ("status", [:])])
    #expect(call(document, 0)["isError"] == false, "\(document)")
    var text = ""
    for _ in 0..<200 where text.isEmpty {
      usleep(100_000)
      text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }
    let message = try JSONValue.parse(text)
    #expect(message["event"] == "upgrade_requested" && message["version"] == "v1.0.0", "\(text)")
    #expect(message["audit"]?["actor"] == "agent:agent-zero")
  }

  @Test(
    "an observer's promote is refused; an executor's upgrade of a good release runs detached, answers within its wait, and completes",
    .enabled(if: pythonClient, Comment(rawValue: Needs.mcpReason)))
  func detachedUpgrade() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    let observer = try connect(paths, [("promote", [:])])
    #expect(call(observer, 0)["structured"]?["code"] == "authority_denied")

    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.0.0")
    let started = Date()
    let document = try connect(paths, [("upgrade", ["version": "v1.0.0", "wait_seconds": 2])])
    #expect(Date().timeIntervalSince(started) < 60)
    let result = call(document, 0)
    #expect(result["isError"] == false, "\(result)")
    if result["structured"]?["status"] == "running" {
      #expect(result["structured"]?["poll"] == "status")
      for _ in 0..<600 where try SampleApp.status(paths)?["current_state"] != "COMPLETE" { usleep(100_000) }
    }
    #expect(try SampleApp.status(paths)?["current_state"] == "COMPLETE")
    #expect(SampleApp.servedVersion(paths) == "v1.0.0")
    let staged = try TestHome.journalEvents(paths).first { $0.eventType == "approval_consumed" }
    #expect(staged?.actor == "agent:agent-zero")
    #expect(staged?.details["via"]?["front_end"] == "mcp")
  }

  @Test(
    "malformed JSON-RPC, unknown methods and tools, wrong types get protocol errors; an oversized message ends the connection"
  )
  func hostileInput() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    let initialize =
      #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
    let lines = [
      initialize, "not json", #"{"jsonrpc":"2.0","id":2,"method":"no/such"}"#,
      #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"history","arguments":{"limit":"ten"}}}"#,
      #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool"}}"#,
      #"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#,
    ]
    let session = try A0Binary.run(
      ["--home", paths.root, "mcp"], stdin: lines.joined(separator: "\n") + "\n")
    #expect(session.status == 0, "\(session.stderr)")
    let answers = session.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
    #expect(answers.count == session.stdout.split(separator: "\n").count, "stdout holds only JSON-RPC")
    func answer(_ id: Int64) -> JSONValue? { answers.first { $0["id"] == .int(id) } }
    #expect(answer(1)?["result"]?["serverInfo"]?["name"] == "a0")
    #expect(
      answers.contains { $0["error"]?["code"] == .int(-32700) }, "a parse error for the line that is not JSON"
    )
    #expect(answer(2)?["error"]?["code"] == .int(-32601))
    #expect(answer(3)?["result"]?["isError"] == true)
    #expect(answer(3)?["result"]?["structuredContent"]?["code"] == "bad_input")
    #expect(answer(4)?["error"]?["code"] == .int(-32602))
    #expect(answer(5)?["result"]?["tools"]?.arrayValue?.isEmpty == false)

    let oversized = String(repeating: "x", count: 5 << 20)
    let started = Date()
    let flooded = try A0Binary.run(
      ["--home", paths.root, "mcp"], stdin: initialize + "\n" + oversized + "\n")
    #expect(flooded.status == 0)
    #expect(flooded.stderr.contains("longer than"))
    #expect(Date().timeIntervalSince(started) < 30)
    #expect(try TestHome.journalEvents(paths).count == 1, "nothing was journaled")
  }

  @Test(
    "the CLI's --detach starts a long operation in the background and says how to follow it; a quick one is a usage error"
  )
  func cliDetach() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    let quick = try A0Binary.run(["status", "--detach", "--home", paths.root, "--json"])
    #expect(quick.status == 64, "\(quick.stdout)")
    try SampleApp.approve(paths, "v1.0.0")
    let observer = try A0Binary.run(["upgrade", "v1.0.0", "--detach", "--home", paths.root, "--json"])
    #expect(observer.status == 3, "the detached a0 runs with the agent's authority: \(observer.stdout)")
    try TestHome.put(paths, state: .idle, authority: .executor)
    let started = try A0Binary.run(["upgrade", "v1.0.0", "--detach", "--home", paths.root, "--json"])
    #expect(started.status == 0, "\(started.stdout)")
    #expect(started.json?["data"]?["status"] == "running")
    #expect(started.json?["data"]?["poll"] == "status")
    for _ in 0..<600 where try SampleApp.status(paths)?["current_state"] != "COMPLETE" { usleep(100_000) }
    #expect(try SampleApp.status(paths)?["current_state"] == "COMPLETE")
    #expect(SampleApp.servedVersion(paths) == "v1.0.0")
  }

  @Test(
    "2,000 seeded mutations of real messages in one session: every answer is JSON-RPC, the server never dies")
  func fuzzedSession() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    let seeds = [
      #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
      #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
      #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"history","arguments":{"limit":2}}}"#,
      #"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"explain_state","arguments":{}}}"#,
      #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    ].map { Array($0.utf8) }
    var random = SplitMix64(seed: 0x4D43_5046)
    var session: [UInt8] = []
    for _ in 0..<2000 {
      var message = seeds[Int.random(in: 0..<seeds.count, using: &random)]
      for _ in 0..<Int.random(in: 0...4, using: &random) where !message.isEmpty {
        let at = Int.random(in: 0..<message.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: message[at] = UInt8.random(in: 0x20...0x7E, using: &random)
        case 1: message.remove(at: at)
        default: message.insert(Array(#"{}[]",:0"#.utf8).randomElement(using: &random) ?? 0, at: at)
        }
      }
      session += message.filter { $0 != 10 } + [10]
    }
    let result = try A0Binary.run(
      ["--home", paths.root, "mcp"], stdin: String(decoding: session, as: UTF8.self))
    #expect(result.status == 0, "\(result.stderr.suffix(500))")
    let lines = result.stdout.split(separator: "\n")
    #expect(!lines.isEmpty)
    for line in lines {
      let answer = try? JSONValue.parse(String(line))
      #expect(answer?["jsonrpc"] == "2.0", "\(line.prefix(200))")
      #expect(answer?["result"] != nil || answer?["error"]?["code"]?.intValue != nil, "\(line.prefix(200))")
    }
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test("a detached a0 works in a home whose path has a space (it is given the home unpinned)")
  func detachedHomeWithSpace() throws {
    let scratch = ScratchDirectory("a0 space")
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: .idle, authority: .executor)
    let started = try A0Binary.run(["validate", "--detach", "--home", paths.root, "--json"])
    // It ran, and met the state rule (nothing is staged), not a refusal of its command line;
    // refused before its first step, its answer is the detaching command's.
    #expect(started.status == 2, "\(started.stdout)")
    #expect(started.json?["error"]?["code"] == "wrong_state", "\(started.stdout)")
  }
}
