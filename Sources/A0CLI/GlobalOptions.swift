import A0Core
import A0System
import ArgumentParser

/// The global options every command takes.
struct GlobalOptions: ParsableArguments {
  @Option(
    name: .long,
    help:
      "The a0 home (the directory holding .billy/). Default: A0_HOME, else the nearest .billy/ above the working directory."
  )
  var home: String?

  @Flag(name: .long, help: "Print one JSON document on stdout; never prompt.")
  var json = false

  @Flag(name: .long, help: "Show no progress on stderr (errors are still shown).")
  var quiet = false

  @Option(name: .long, help: "Seconds to wait for another a0 command to finish (mutating commands only).")
  var wait: Double = 0

  mutating func validate() throws {
    guard wait.isFinite, (0...86_400).contains(wait) else {
      throw ValidationError("--wait takes seconds between 0 and 86400, not \(wait)")
    }
  }

  @Option(name: .long, help: "ssh-signature mode: prove you are a human by signing with this private key.")
  var key: String?

  @Option(
    name: .long, help: "ssh-signature mode: prove you are a human with this signature (see --print-payload).")
  var signature: String?

  @Flag(name: .long, help: "ssh-signature mode: print what to sign for this command, and change nothing.")
  var printPayload = false

  @Flag(
    name: .long,
    help:
      "Run a long operation (begin-staging, validate, promote, upgrade, rollback) in the background; follow it with status --follow."
  )
  var detach = false

  /// Set by `a0 mcp` on the operations it runs detached: the MCP client, as
  /// it names itself, for the journal. Informational: it grants nothing.
  @Option(name: .long, help: .hidden)
  var viaMcp: String?

  var settings: GlobalSettings {
    GlobalSettings(
      home: home, json: json, quiet: quiet, wait: wait, key: key, signature: signature,
      printPayload: printPayload,
      frontEnd: viaMcp.map { ["front_end": "mcp", "client": .string(String($0.prefix(200)))] })
  }
}

/// The global options as plain values, however they were read.
struct GlobalSettings {
  var home: String?
  var json = false
  /// No progress on stderr: `--quiet`, and the MCP server, whose caller reads no stderr.
  var quiet = false
  var wait: Double = 0
  var key: String?
  var signature: String?
  var printPayload = false
  /// How the agent came (`a0 mcp` and its client); journaled with its events.
  var frontEnd: [String: JSONValue]?
}
