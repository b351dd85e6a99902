import A0Core
import A0Lifecycle
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// The Model Context Protocol as `a0 mcp` speaks it: JSON-RPC 2.0, one
/// message per line, requests answered in order. It offers tools only, and
/// each call is a fresh operation over the home, as if the agent had run
/// the CLI: the same parser, the same code, the same authority checks.
///
/// Written here rather than on the official SDK, which on Linux links
/// FoundationNetworking and with it libcurl and some thirty shared
/// libraries into every start of the binary: `a0 status` went from 0.53×
/// to 1.3× the start-up of `python3 -I -S`.
struct AgentServer {
  static let maximumMessageBytes = 4 << 20
  /// Newest first; a client asking for another version gets the newest.
  static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

  let home: String
  private(set) var client = "unknown client"

  init(home: String) { self.home = home }

  enum RPCError: Int64 {
    case parse = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
  }

  /// The answer to one message, or nil for a notification.
  mutating func handle(_ message: [UInt8]) -> JSONValue? {
    // Detached operations the client stopped waiting for are reaped once they end.
    while waitpid(-1, nil, WNOHANG) > 0 {}
    guard let request = try? JSONValue.parse(message) else {
      return Self.error(.parse, "Parse error: not a JSON value a0 reads", id: .null)
    }
    guard case .object = request, request["jsonrpc"] == "2.0", let method = request["method"]?.stringValue
    else {
      return Self.error(
        .invalidRequest, "Invalid request: expected a JSON-RPC 2.0 request", id: request["id"] ?? .null)
    }
    guard let id = request["id"] else { return nil }  // a notification: nothing to answer
    guard id.stringValue != nil || id.intValue != nil else {
      return Self.error(.invalidRequest, "Invalid request: the id must be a string or a number", id: .null)
    }
    let params = request["params"] ?? .object([:])
    switch method {
    case "initialize":
      let info = params["clientInfo"]
      client = String(
        "\(info?["name"]?.stringValue ?? "unknown") \(info?["version"]?.stringValue ?? "")".prefix(200))
      let asked = params["protocolVersion"]?.stringValue ?? ""
      let version = Self.protocolVersions.contains(asked) ? asked : Self.protocolVersions[0]
      return Self.result(
        [
          "protocolVersion": .string(version), "capabilities": ["tools": ["listChanged": false]],
          "serverInfo": ["name": "a0", "version": .string(A0Version.current)],
          "instructions": .string(Self.instructions),
        ], id: id)
    case "ping":
      return Self.result([:], id: id)
    case "tools/list":
      return Self.result(["tools": .array(AgentTool.offered.map(\.listing))], id: id)
    case "tools/call":
      guard let name = params["name"]?.stringValue else {
        return Self.error(.invalidParams, "Invalid params: tools/call needs a tool name", id: id)
      }
      let arguments = params["arguments"] ?? .object([:])
      guard case .object(let members) = arguments else {
        return Self.error(.invalidParams, "Invalid params: arguments must be an object", id: id)
      }
      if AgentTool.humanOnly.contains(name) { return Self.result(refuseHumanOnly(name), id: id) }
      guard let tool = AgentTool.offered.first(where: { $0.name == name }) else {
        return Self.error(.invalidParams, "Unknown tool: \(name)", id: id)
      }
      return Self.result(call(tool, members), id: id)
    default:
      return Self.error(.methodNotFound, "Method not found: \(method)", id: id)
    }
  }

  static let instructions =
    "a0 upgrades and rolls back this host's Agent Zero. You may watch and request; a human approves. "
    + "Start with status; request_upgrade asks a human; upgrade runs an approved version."

  // MARK: - Tool calls

  func call(_ tool: AgentTool, _ arguments: [String: JSONValue]) -> JSONValue {
    do throws(A0Error) {
      let commandLine = try tool.commandLine(arguments)
      if tool.detached {
        let wait = Int(arguments["wait_seconds"]?.intValue ?? 20)
        return try runDetached(tool, commandLine: commandLine, waitSeconds: wait)
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
  private func runHere(_ tool: AgentTool, commandLine: [String]) throws(A0Error) -> JSONValue {
    let operation: any Operation
    do {
      operation = try tool.operation.parse(commandLine)
    } catch {
      throw A0Error(.badInput, tool.operation.message(for: error))
    }
    // As after every CLI command: events this call journaled are delivered.
    defer { NotifyKick.afterCommand() }
    do {
      let output = try context().watched(operation.perform)
      return Self.toolResult(output.text, data: output.json, isError: false)
    } catch let error as A0Error {
      throw error
    } catch {
      throw A0Error(.operationFailed, "\(error)")
    }
  }

  /// Long operations run as a detached a0 the call waits for, at most `waitSeconds`.
  private func runDetached(_ tool: AgentTool, commandLine: [String], waitSeconds: Int) throws(A0Error)
    -> JSONValue
  {
    let machine = try context().openForReading(tool.operation.operationName)
    let run = try DetachedRun.start(
      machine, words: tool.operation.operationName.split(separator: " ").map(String.init),
      arguments: commandLine, client: client)
    guard let envelope = run.wait(seconds: waitSeconds) else {
      let data: JSONValue = [
        "status": "running", "operation": .string(tool.name), "pid": .int(Int(run.process.pid)),
        "log": .string(run.logPath), "poll": .string(tool.poll),
      ]
      return Self.toolResult(
        "\(tool.name) is still running after \(waitSeconds) s (pid \(run.process.pid)); it goes on without "
          + "you. Call \(tool.poll) to follow it.", data: data, isError: false)
    }
    if envelope["status"] == "success" {
      let data = envelope["data"] ?? .null
      return Self.toolResult("\(tool.name) finished.\n" + data.prettyString, data: data, isError: false)
    }
    let error = envelope["error"] ?? .null
    return Self.toolResult(Self.errorText(error), data: error, isError: true)
  }

  /// A human-only command, called by name: refused, journaled and executor
  /// revoked, exactly as the CLI does for an agent.
  private func refuseHumanOnly(_ name: String) -> JSONValue {
    let command = String(name.map { $0 == "_" ? "-" : $0 })
    do throws(A0Error) {
      let machine = try context().openForMutation(command)
      try machine.authorize(machine.agentCaller, needs: .human, command: command)
      return Self.failure(A0Error(.authorityDenied, "`a0 \(command)` needs human authority"))
    } catch {
      return Self.failure(error)
    }
  }

  // MARK: - Messages

  static func result(_ result: JSONValue, id: JSONValue) -> JSONValue {
    ["jsonrpc": "2.0", "id": id, "result": result]
  }

  static func error(_ code: RPCError, _ message: String, id: JSONValue) -> JSONValue {
    ["jsonrpc": "2.0", "id": id, "error": ["code": .int(code.rawValue), "message": .string(message)]]
  }

  /// A tool result: `data` (or the error body) as structured content, and its text for a model.
  static func toolResult(_ text: String, data: JSONValue, isError: Bool) -> JSONValue {
    [
      "content": [["type": "text", "text": .string(text)]], "structuredContent": data,
      "isError": .bool(isError),
    ]
  }

  static func failure(_ error: A0Error) -> JSONValue {
    let body = Runner.errorBody(error)
    return toolResult(errorText(body), data: body, isError: true)
  }

  static func errorText(_ error: JSONValue) -> String {
    var lines = ["error: " + (error["what"]?.stringValue ?? error["message"]?.stringValue ?? "failed")]
    if let code = error["code"]?.stringValue { lines.append("  code: \(code)") }
    if let why = error["why"]?.stringValue { lines.append("  why: \(why)") }
    if let next = error["next"]?.stringValue { lines.append("  next: \(next)") }
    return lines.joined(separator: "\n")
  }
}
