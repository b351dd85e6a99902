import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Status: Operation {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show the lifecycle state and what production runs.",
    discussion: """
      Read-only; anyone may run it, in any state. It never waits for the lock.
      With --json, the state.json fields are in data under their own names. With --follow it first
      shows the steps of the command running now (one started with --detach too) as that command's
      terminal would, until it ends, and exits with its exit code.

        $ a0 status --json | jq .data.current_state
        $ a0 upgrade v1.8 --detach && a0 status --follow
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Show the steps of the command running now, live, until it ends; then exit with its exit code.")
  var follow = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    if follow { try context.followRunningCommand(Self.operationName) }
    return try Self.report(context)
  }

  static func report(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    return StatusOutput(
      paths: machine.paths, state: machine.state, production: ProductionInfo.read(machine.paths),
      knownGood: ProductionInfo.read(path: machine.paths.knownGood), notes: machine.recoveryNotes)
  }

  /// The settings of `a0 status [--json] [--home PATH]`, the command an
  /// agent polls, read without the argument parser (whose reflection is
  /// most of a cold start); nil for anything else, which the parser reads.
  static func pollSettings(_ arguments: [String]) -> GlobalSettings? {
    guard arguments.first == "status" else { return nil }
    var settings = GlobalSettings()
    var index = 1
    while index < arguments.count {
      switch arguments[index] {
      case "--json" where !settings.json:
        settings.json = true
      case "--home" where settings.home == nil && index + 1 < arguments.count:
        let value = arguments[index + 1]
        guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
        settings.home = value
        index += 1
      default:
        return nil
      }
      index += 1
    }
    return settings
  }
}

struct StatusOutput: CommandOutput {
  let paths: HomePaths
  let state: StateRecord
  let production: ProductionInfo?
  /// The release a rollback returns to, which a human confirmed.
  let knownGood: ProductionInfo?
  let notes: [String]

  var json: JSONValue {
    guard case .object(var members) = state.json else { return state.json }
    members["home"] = .string(paths.root)
    members["production"] = production?.json ?? .null
    members["known_good"] = knownGood?.json ?? .null
    members["notes"] = .array(notes.map(JSONValue.string))
    return .object(members)
  }

  var text: String {
    var rows: [(String, String)] = [
      ("State", "\(state.currentState.rawValue) (since \(state.enteredAt.iso8601))"),
      ("Previous state", state.previousState?.rawValue ?? "none"),
      ("Reason", state.reasonCode?.rawValue ?? "none"),
      ("Authority", state.authorityLevel.rawValue),
      (
        "Production",
        production.map { "\($0.version) (build \($0.buildID), deployed \($0.deployedAt))" } ?? "none"
      ),
      ("Known-good", knownGood.map { "\($0.version) (build \($0.buildID))" } ?? "none"),
      (
        "Active operation",
        state.activeOperation.map {
          "\($0.type.rawValue) to \($0.targetVersion) since \($0.startedAt.iso8601)"
            + (state.operationID.map { " [\($0)]" } ?? "")
        } ?? "none"
      ),
      (
        "Last failure",
        state.lastFailure.map {
          "\($0.error) (in \($0.state.rawValue) at \($0.occurredAt.iso8601)\($0.cleared ? ", cleared" : ""))"
        } ?? "none"
      ),
      (
        "Locks",
        state.locks.upgradeLocked || state.locks.rollbackLocked
          ? "upgrade and rollback locked: \(state.locks.lockReason ?? "")" : "none"
      ),
      ("Observed", state.observedState.rawValue),
      ("Journal", "event \(state.auditSeq), \(state.auditHash.prefix(16))…"),
      ("Home", paths.root),
    ]
    rows += notes.map { ("Note", $0) }
    return TextTable.rows(rows)
  }
}
