import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct StagingStatus: Operation {
  static let configuration = CommandConfiguration(
    commandName: "staging-status",
    abstract: "Follow a build: its step, the time per step, files hashed; after it, the result.",
    discussion: """
      Read-only; anyone may run it, from another process while begin-staging runs (it never waits
      for the lock). With --follow it shows the running command's steps live until it ends, then
      the build, and exits with that command's exit code.

        $ a0 staging-status --follow
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Show the steps of the command running now, live, until it ends; then exit with its exit code.")
  var follow = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    if follow { try context.followRunningCommand(Self.operationName) }
    let machine = try context.openForReading(Self.operationName)
    let builds = (try? FileIO.listDirectory(machine.paths.builds)) ?? []
    var chosen: String?
    if machine.state.currentState == .staging, let operation = machine.state.operationID {
      chosen = operation
    } else {
      chosen = builds.filter { FileIO.exists(machine.paths.builds + "/" + $0 + "/status.json") }.max {
        a, b in
        let left =
          (try? FileIO.read(machine.paths.builds + "/" + a + "/status.json")).flatMap { $0 }
          .flatMap { try? JSONValue.parse($0) }?["started_at"]?.stringValue ?? ""
        let right =
          (try? FileIO.read(machine.paths.builds + "/" + b + "/status.json")).flatMap { $0 }
          .flatMap { try? JSONValue.parse($0) }?["started_at"]?.stringValue ?? ""
        return left < right
      }
    }
    let document = chosen.flatMap { try? FileIO.read(machine.paths.builds + "/" + $0 + "/status.json") }
      .flatMap { $0 }.flatMap { try? JSONValue.parse($0) }
    return StagingStatusOutput(state: machine.state, build: document)
  }
}

struct StagingStatusOutput: CommandOutput {
  let state: StateRecord
  let build: JSONValue?

  var json: JSONValue {
    [
      "current_state": .string(state.currentState.rawValue),
      "staging": state.currentState == .staging ? true : false,
      "build": build ?? .null,
    ]
  }

  var text: String {
    guard let build else { return "No build has run yet (state \(state.currentState.rawValue))." }
    var lines = [
      "State:   \(state.currentState.rawValue)",
      "Build:   \(build["build_id"]?.stringValue ?? "?") of \(build["version"]?.stringValue ?? "?")",
      "Step:    \(build["step"]?.stringValue ?? "?") (\(build["result"]?.stringValue ?? "?"))",
      "Hashed:  \(build["files_hashed"]?.intValue ?? 0) files",
    ]
    for step in build["steps"]?.arrayValue ?? [] {
      lines.append(
        "  \(step["name"]?.stringValue ?? "?")\t\(step["status"]?.stringValue ?? "?")\t\(step["duration_ms"]?.intValue ?? 0) ms"
      )
    }
    return lines.joined(separator: "\n")
  }
}
