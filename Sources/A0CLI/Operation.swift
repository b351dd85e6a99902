import A0Core
import ArgumentParser

/// One a0 command as a value: the arguments it was given — parsed from the
/// command line, or from an MCP client's call through the same parser — and
/// the one function that runs it over a context. The CLI and the MCP server
/// are two front ends over these values; neither has a rule of its own.
protocol Operation: ParsableCommand {
  /// The name the journal envelopes and `--json` output use.
  static var operationName: String { get }
  var global: GlobalOptions { get }
  func perform(_ context: CommandContext) throws -> any CommandOutput
}

extension Operation {
  static var operationName: String { configuration.commandName ?? "a0" }

  func run() throws { try Runner.run(Self.operationName, global, perform) }
}
