import A0Core
import A0System
import ArgumentParser

/// What a command produces: one value, rendered as JSON (`data` of the
/// envelope) or as text for people, so both views come from one place.
public protocol CommandOutput {
  var json: JSONValue { get }
  var text: String { get }
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
    // After the command, whatever its outcome: its events are durable, its lock released.
    defer { NotifyKick.afterCommand() }
    do {
      let context = try CommandContext(options: options)
      let output = try context.watched(body)
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
