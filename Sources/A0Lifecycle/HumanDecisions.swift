import A0Core
import A0System

/// The human-only moves back to IDLE: confirm, clear-failure, reset.
public enum HumanDecisions {
  public struct Result: Sendable {
    public var outcome: Machine.Outcome
    public var state: StateRecord
    public var knownGood: ProductionInfo?
  }

  /// COMPLETE → IDLE; records production as known-good. known_good.json is
  /// written before the transition, so a crash in between leaves COMPLETE
  /// with a known-good that matches production, and `confirm` can simply run again.
  public static func confirm(_ machine: Machine, caller: Caller, notes: String) throws(A0Error) -> Result {
    try machine.checkTransition(to: .idle, reason: .confirmationReceived, for: .confirm)
    if machine.state.currentState == .idle {
      return Result(
        outcome: .alreadyDone, state: machine.state, knownGood: ProductionInfo.read(machine.paths))
    }
    let production = ProductionInfo.read(machine.paths)
    if let production {
      var record = production.json
      if case .object(var members) = record {
        members["confirmed_at"] = .string(machine.clock.now().iso8601)
        members["confirmed_by"] = .string(caller.actor)
        record = .object(members)
      }
      try FileIO.writeAtomically(machine.paths.knownGood, Array(record.prettyString.utf8))
    }
    let outcome = try machine.transition(
      to: .idle, reason: .confirmationReceived, caller: caller, notes: notes, for: .confirm,
      details: ["known_good": production?.json ?? .null])
    return Result(outcome: outcome, state: machine.state, knownGood: production)
  }

  /// FAILED → IDLE; the failure stays on record, marked cleared.
  public static func clearFailure(_ machine: Machine, caller: Caller, notes: String) throws(A0Error) -> Result
  {
    let outcome = try machine.transition(
      to: .idle, reason: .humanClearedFailure, caller: caller, notes: notes, for: .clearFailure
    ) { record in
      record.lastFailure?.cleared = true
    }
    return Result(outcome: outcome, state: machine.state, knownGood: nil)
  }

  /// COMPLETE or FAILED_HARD → IDLE. From FAILED_HARD, production is first
  /// verified against its manifest: a reset never declares an unknown
  /// production healthy (exit 5 when it does not match).
  public static func reset(_ machine: Machine, caller: Caller, reason: String) throws(A0Error) -> Result {
    try machine.checkTransition(to: .idle, reason: .operatorReset, for: .reset)
    if machine.state.currentState == .idle {
      return Result(outcome: .alreadyDone, state: machine.state, knownGood: nil)
    }
    var details: [String: JSONValue] = [:]
    if machine.state.currentState == .failedHard {
      details["production_verified"] = try ProductionVerifier.verifyOrThrow(
        machine.paths, config: machine.config)
    }
    let outcome = try machine.transition(
      to: .idle, reason: .operatorReset, caller: caller, notes: reason,
      for: .reset,
      details: details
    ) { record in
      record.lastFailure?.cleared = true
    }
    return Result(outcome: outcome, state: machine.state, knownGood: nil)
  }
}

/// Checks production's tree against the manifest of the release it runs.
public enum ProductionVerifier {
  /// Returns a JSON summary; throws `integrity_violation` naming the files
  /// that differ.
  public static func verifyOrThrow(_ paths: HomePaths, config: Config) throws(A0Error) -> JSONValue {
    let link = paths.productionLink(config)
    guard let production = ProductionInfo.read(paths) else {
      if FileIO.exists(link) {
        throw A0Error(
          .integrityViolation, "production link \(link) exists but version.json does not say what it runs",
          next: "Inspect the home by hand; reset will not vouch for an unknown production")
      }
      return ["production": .null]
    }
    let manifestPath = "\(paths.builds)/\(production.buildID)/manifest.json"
    guard let bytes = try FileIO.read(manifestPath), let json = try? JSONValue.parse(bytes),
      let manifest = try? Manifest(json: json)
    else {
      throw A0Error(
        .integrityViolation,
        "the manifest of production's build \(production.buildID) is missing or unreadable",
        next: "Restore \(manifestPath), or roll production back by hand to a release whose manifest is intact"
      )
    }
    let digest = try TreeHasher.digest(root: link + "/")
    guard digest.treeHash == manifest.treeHash else {
      let diff = digest.differences(from: manifest.files)
      let named =
        (diff.changed.map { "changed \($0)" } + diff.added.map { "added \($0)" }
        + diff.removed.map { "removed \($0)" }).prefix(20).joined(separator: ", ")
      throw A0Error(
        .integrityViolation, "production does not match its manifest", why: named,
        next: "Restore the release (\(production.version), build \(production.buildID)) before resetting")
    }
    return ["version": .string(production.version), "tree_hash": .string(digest.treeHash)]
  }
}
