import A0Core
import ArgumentParser

/// One a0 command as a value: the arguments it was given — parsed from the
/// command line, or from an MCP client's call through the same parser — and
/// the one function that runs it over a context. The CLI and the MCP server
/// are two front ends over these values; neither has a rule of its own.
protocol Operation: ParsableCommand {
  /// The name the journal envelopes and `--json` output use.
  static var operationName: String { get }
  /// Takes minutes (building, checking, restarting): `--detach` and the
  /// MCP server run it as a detached a0 instead of waiting on it.
  static var runsLong: Bool { get }
  var global: GlobalOptions { get }
  func perform(_ context: CommandContext) throws -> any CommandOutput
}

extension Operation {
  static var operationName: String { configuration.commandName ?? "a0" }
  static var runsLong: Bool { false }

  func run() throws {
    guard global.detach else { return try Runner.run(Self.operationName, global, perform) }
    try Runner.run(Self.operationName, global) { context in
      guard Self.runsLong else {
        throw A0Error(
          .usage, "--detach is for the long operations",
          why: "\(Self.operationName) answers at once", next: "Run it without --detach")
      }
      // The detached a0 has no terminal and no proof of its own: it runs
      // with the agent's authority, so it may start only when that suffices.
      if context.options.printPayload || context.offer.isPresent {
        throw A0Error(
          .usage, "--detach runs with the agent's executor authority, never a human's proof",
          next: "Sign or confirm the command without --detach")
      }
      let machine = try context.openForReading(Self.operationName)
      guard machine.state.authorityLevel == .executor else {
        throw A0Error(
          .authorityDenied, "--detach needs the agent to hold executor authority",
          why: "the detached a0 cannot prove a human; the agent is \(machine.state.authorityLevel.rawValue)",
          next: "Run it without --detach at a terminal, or grant executor first",
          authorityRequired: .executor)
      }
      return try DetachedRun.detach(Self.self, context: context)
    }
  }
}
