import A0Core
import A0Lifecycle
import A0System
import ArgumentParser
import Dispatch
import MCP

struct MCPServe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mcp",
    abstract: "Serve the agent's commands as MCP tools over stdin and stdout.",
    discussion: """
      A stdio Model Context Protocol server for the agent: the commands an observer or executor may
      run, as tools, through the same code and the same authority checks as the CLI. Human-only
      commands are not offered; a call to one is refused and journaled like the CLI's. Long
      operations (begin_staging, validate, promote, upgrade, rollback) run as a detached a0 process
      and the call waits for them at most wait_seconds. Nothing but the protocol is written to
      stdout. For Agent Zero's settings, see docs/AGENT_ZERO.md.

        $ a0 --home /srv/a0/agent-zero mcp
      """)

  @OptionGroup var global: GlobalOptions

  func run() throws {
    // Fail at once, on stderr, for a home that cannot be used at all.
    let paths = try CommandContext(options: global.settings, terminal: NoTerminal()).paths()
    let server = AgentServer(home: paths.root)
    let finished = DispatchSemaphore(value: 0)
    Task {
      do {
        try await server.serve()
      } catch {
        FileHandleOutput.standardError.write("a0 mcp: \(error)\n")
      }
      finished.signal()
    }
    finished.wait()
  }
}

/// No terminal: nothing an MCP client sends is ever a human's answer.
struct NoTerminal: Terminal {
  var isInteractive: Bool { false }
  var isErrorTerminal: Bool { false }
  func ask(_ prompt: String) -> String? { nil }
}

/// The MCP server: tool listing and tool calls, each call a fresh
/// operation over the home, as if the agent had run the CLI.
actor AgentServer {
  let home: String
  private var client = "unknown client"

  init(home: String) { self.home = home }

  func serve() async throws {
    let server = Server(
      name: "a0", version: A0Version.current, capabilities: .init(tools: .init(listChanged: false)))
    await server.withMethodHandler(ListTools.self) { [self] _ in
      await self.begin()
      defer { Task { await self.end() } }
      return .init(tools: AgentTool.all.map(Self.describe))
    }
    await server.withMethodHandler(CallTool.self) { [self] params in
      try await self.call(params)
    }
    try await server.start(transport: LineTransport()) { [self] info, _ in
      await self.setClient("\(info.name) \(info.version)")
    }
    await server.waitUntilCompleted()
    // Input ended: requests read before the end still get their answers,
    // and calls in progress finish what they change.
    try? await Task.sleep(nanoseconds: 100_000_000)
    while inFlight > 0 { try? await Task.sleep(nanoseconds: 20_000_000) }
  }

  private var inFlight = 0
  private func begin() { inFlight += 1 }
  private func end() { inFlight -= 1 }

  private func setClient(_ text: String) { client = String(text.prefix(200)) }

  static func describe(_ tool: AgentTool) -> Tool {
    Tool(
      name: tool.name, description: tool.description, inputSchema: MCPValues.value(tool.inputSchema),
      annotations: .init(
        readOnlyHint: tool.readOnly, destructiveHint: tool.destructive, idempotentHint: tool.idempotent,
        openWorldHint: false))
  }

  func call(_ params: CallTool.Parameters) async throws -> CallTool.Result {
    begin()
    defer { end() }
    var arguments: [String: JSONValue] = [:]
    for (name, value) in params.arguments ?? [:] {
      guard let converted = MCPValues.json(value) else {
        return Self.failure(A0Error(.badInput, "\(name) is not a JSON value a0 reads"))
      }
      arguments[name] = converted
    }
    if AgentTool.humanOnly.contains(params.name) {
      return refuseHumanOnly(params.name)
    }
    guard let tool = AgentTool.all.first(where: { $0.name == params.name }) else {
      throw MCPError.invalidParams("Unknown tool: \(params.name)")
    }
    do throws(A0Error) {
      let commandLine = try tool.commandLine(arguments)
      if tool.detached {
        let wait = Int(arguments["wait_seconds"]?.intValue ?? 20)
        return try await runDetached(tool, commandLine: commandLine, waitSeconds: wait)
      }
      return try runHere(tool, commandLine: commandLine)
    } catch {
      return Self.failure(error)
    }
  }

  private func context() throws(A0Error) -> CommandContext {
    var settings = GlobalSettings(home: home, json: true)
    settings.frontEnd = ["front_end": "mcp", "client": .string(client)]
    return try CommandContext(options: settings, terminal: NoTerminal())
  }

  /// Quick operations run in this process, through the CLI's own parser and code.
  private func runHere(_ tool: AgentTool, commandLine: [String]) throws(A0Error) -> CallTool.Result {
    let operation: any Operation
    do {
      operation = try tool.operation.parse(commandLine)
    } catch {
      throw A0Error(.badInput, tool.operation.message(for: error))
    }
    do {
      let output = try operation.perform(try context())
      return Self.result(output.text, data: output.json, isError: false)
    } catch let error as A0Error {
      throw error
    } catch {
      throw A0Error(.operationFailed, "\(error)")
    }
  }

  /// Long operations run as a detached a0 the call waits for, at most `waitSeconds`.
  private func runDetached(_ tool: AgentTool, commandLine: [String], waitSeconds: Int) async throws(A0Error)
    -> CallTool.Result
  {
    let machine = try context().openForReading(tool.operation.operationName)
    let run = try DetachedRun.start(
      machine, words: tool.operation.operationName.split(separator: " ").map(String.init),
      arguments: commandLine, client: client)
    switch await run.wait(seconds: waitSeconds) {
    case .finished(let envelope):
      if envelope["status"] == "success" {
        let data = envelope["data"] ?? .null
        return Self.result(Self.summary(tool, data), data: data, isError: false)
      }
      let error = envelope["error"] ?? .null
      return Self.result(Self.errorText(error), data: error, isError: true)
    case .running:
      let data: JSONValue = [
        "status": "running", "operation": .string(tool.name), "pid": .int(Int(run.process.pid)),
        "log": .string(run.logPath), "poll": .string(tool.poll),
      ]
      return Self.result(
        "\(tool.name) is still running after \(waitSeconds) s (pid \(run.process.pid)); it goes on without "
          + "you. Call \(tool.poll) to follow it.", data: data, isError: false)
    }
  }

  /// A human-only command, called by name: refused, journaled and executor
  /// revoked, exactly as the CLI does for an agent.
  private func refuseHumanOnly(_ name: String) -> CallTool.Result {
    let command = name.replacingUnderscores
    do throws(A0Error) {
      let machine = try context().openForMutation(command)
      try machine.authorize(machine.agentCaller, needs: .human, command: command)
      return Self.failure(A0Error(.authorityDenied, "`a0 \(command)` needs human authority"))
    } catch {
      return Self.failure(error)
    }
  }

  static func failure(_ error: A0Error) -> CallTool.Result {
    let body = Runner.errorBody(error)
    return Self.result(errorText(body), data: body, isError: true)
  }

  /// A tool result: `data` (or the error body) as structured content, and its text for a model.
  static func result(_ text: String, data: JSONValue, isError: Bool) -> CallTool.Result {
    let structured: Value? = MCPValues.value(data)
    return CallTool.Result(
      content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: structured,
      isError: isError)
  }

  static func errorText(_ error: JSONValue) -> String {
    var lines = ["error: " + (error["what"]?.stringValue ?? error["message"]?.stringValue ?? "failed")]
    if let code = error["code"]?.stringValue { lines.append("  code: \(code)") }
    if let why = error["why"]?.stringValue { lines.append("  why: \(why)") }
    if let next = error["next"]?.stringValue { lines.append("  next: \(next)") }
    return lines.joined(separator: "\n")
  }

  /// The text of a detached operation's result: its data, for a model to read.
  static func summary(_ tool: AgentTool, _ data: JSONValue) -> String {
    "\(tool.name) finished.\n" + data.prettyString
  }
}

extension String {
  /// `clear_failure` → `clear-failure`: a tool name as the CLI spells the command.
  fileprivate var replacingUnderscores: String {
    String(map { $0 == "_" ? "-" : $0 })
  }
}
