import A0Core
import A0System
import ArgumentParser

/// What a command produces: one value, rendered as JSON (`data` of the
/// envelope) or as text for people, so both views come from one place.
public protocol CommandOutput {
  var json: JSONValue { get }
  var text: String { get }
}

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
      "Run a long operation (begin-staging, validate, promote, upgrade, rollback) in the background; follow it with status."
  )
  var detach = false

  /// Set by `a0 mcp` on the operations it runs detached: the MCP client, as
  /// it names itself, for the journal. Informational: it grants nothing.
  @Option(name: .long, help: .hidden)
  var viaMcp: String?

  var settings: GlobalSettings {
    GlobalSettings(
      home: home, json: json, wait: wait, key: key, signature: signature, printPayload: printPayload,
      frontEnd: viaMcp.map { ["front_end": "mcp", "client": .string(String($0.prefix(200)))] })
  }
}

/// The global options as plain values, however they were read.
struct GlobalSettings {
  var home: String?
  var json = false
  var wait: Double = 0
  var key: String?
  var signature: String?
  var printPayload = false
  /// How the agent came (`a0 mcp` and its client); journaled with its events.
  var frontEnd: [String: JSONValue]?
}

/// Thrown by a command asked for `--print-payload`: the Runner prints it
/// and the command stops before changing anything.
struct PayloadRequest: Error {
  let payload: String
}

/// Runs one command body and turns its result or error into output and
/// an exit code (DESIGN.md §7).
enum Runner {
  static func run(
    _ command: String, _ options: GlobalOptions, _ body: (CommandContext) throws -> any CommandOutput
  ) throws {
    try run(command, options.settings, body)
  }

  static func run(
    _ command: String, _ options: GlobalSettings, _ body: (CommandContext) throws -> any CommandOutput
  ) throws {
    do {
      let context = try CommandContext(options: options)
      let output = try body(context)
      if options.json {
        let envelope: JSONValue = ["status": "success", "command": .string(command), "data": output.json]
        FileHandleOutput.standardOutput.write(envelope.canonicalString + "\n")
      } else {
        let text = output.text
        FileHandleOutput.standardOutput.write(text.hasSuffix("\n") || text.isEmpty ? text : text + "\n")
      }
    } catch let request as PayloadRequest {
      if options.json {
        let envelope: JSONValue = [
          "status": "success", "command": .string(command), "data": ["payload": .string(request.payload)],
        ]
        FileHandleOutput.standardOutput.write(envelope.canonicalString + "\n")
      } else {
        FileHandleOutput.standardOutput.write(request.payload)
      }
    } catch let error as A0Error {
      report(error, command: command, json: options.json)
      throw ExitCode(error.kind.exitCode)
    }
  }

  /// The `error` of a `--json` envelope (and of an MCP tool's failure).
  static func errorBody(_ error: A0Error) -> JSONValue {
    var body: [String: JSONValue] = [
      "code": .string(error.kind.rawValue), "exit_code": .int(Int64(error.kind.exitCode)),
      "message": .string(error.message), "what": .string(error.what),
      "authority_required": .optional(error.authorityRequired?.rawValue),
    ]
    body["why"] = .optional(error.why)
    body["next"] = .optional(error.next)
    return .object(body)
  }

  static func report(_ error: A0Error, command: String, json: Bool) {
    if json {
      let envelope: JSONValue = ["status": "error", "command": .string(command), "error": errorBody(error)]
      FileHandleOutput.standardOutput.write(envelope.canonicalString + "\n")
    } else {
      var text = "error: \(error.what)\n"
      if let why = error.why { text += "  why: \(why)\n" }
      if let next = error.next { text += "  next: \(next)\n" }
      FileHandleOutput.standardError.write(text)
    }
  }
}

/// Text helpers shared by the renderers.
enum TextTable {
  static func rows(_ pairs: [(String, String)]) -> String {
    let width = (pairs.map { $0.0.count }.max() ?? 0) + 2
    return pairs.map { key, value in
      key + ":" + String(repeating: " ", count: max(1, width - key.count - 1)) + value
    }.joined(separator: "\n")
  }
}
