import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

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
    var server = AgentServer(home: paths.root)
    var lines = MessageLines(limit: AgentServer.maximumMessageBytes)
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return read(STDIN_FILENO, base, raw.count)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return }
      let messages: [[UInt8]]
      do {
        messages = try lines.feed(buffer[0..<count])
      } catch {
        FileHandleOutput.standardError.write(
          "a0 mcp: a message longer than \(AgentServer.maximumMessageBytes) bytes; closing the connection\n")
        return
      }
      for message in messages {
        if let answer = server.handle(message) {
          FileHandleOutput.standardOutput.write(answer.canonicalString + "\n")
        }
      }
    }
  }
}

/// No terminal: nothing an MCP client sends is ever a human's answer.
struct NoTerminal: Terminal {
  var isInteractive: Bool { false }
  var isErrorTerminal: Bool { false }
  var errorColumns: Int? { nil }
  func ask(_ prompt: String) -> String? { nil }
}
