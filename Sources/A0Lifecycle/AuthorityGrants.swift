import A0Core
import A0System

/// `grant executor` and `revoke`: human-only changes of the agent's authority.
public enum AuthorityGrants {
  public struct Outcome: Sendable {
    public var changed: Bool
    public var level: AuthorityLevel
    public var bootstrap: Bool
  }

  /// Grants executor authority. Requires an intact journal and, in it, one
  /// completed upgrade and one completed rollback — proof that the whole
  /// lifecycle works on this host — unless `bootstrap` is asked for on a
  /// home that has never had executor.
  public static func grantExecutor(_ machine: Machine, caller: Caller, reason: String, bootstrap: Bool)
    throws(A0Error) -> Outcome
  {
    if machine.state.currentState == .failedHard {
      throw A0Error(
        .wrongState, "executor authority cannot be granted in FAILED_HARD",
        next: "A human must run `a0 reset --reason TEXT` first")
    }
    if machine.state.authorityLevel == .executor {
      return Outcome(changed: false, level: .executor, bootstrap: false)
    }
    let bytes = try FileIO.read(machine.paths.journal) ?? []
    let verification = Journal.verifyChain(bytes)
    if let (line, error) = verification.firstError {
      throw A0Error(
        .integrityViolation, "the journal is broken at line \(line)", why: error.description,
        next: "Executor authority needs an intact journal; see `a0 audit verify`")
    }
    let events = try machine.journal.events(from: 1)
    let history = LifecycleHistory(events: events)
    if bootstrap {
      guard !history.everGrantedExecutor else {
        throw A0Error(
          .wrongState, "--bootstrap is only for a home that has never had executor authority",
          why: "the journal records an earlier grant",
          next: "Grant without --bootstrap once an upgrade and a rollback have completed")
      }
    } else if !(history.completedUpgrade && history.completedRollback) {
      let missing = [
        history.completedUpgrade ? nil : "a completed upgrade",
        history.completedRollback ? nil : "a completed rollback",
      ].compactMap { $0 }.joined(separator: " and ")
      throw A0Error(
        .wrongState, "executor authority needs a proven lifecycle", why: "the journal has no \(missing) yet",
        next: "Run one upgrade and one rollback as a human first, or pass --bootstrap on a new home")
    }
    try machine.updateState(
      eventType: "authority_granted", actor: caller.actor,
      details: [
        "level": "executor", "notes": .string(reason), "bootstrap": .bool(bootstrap),
        "journal_events_verified": .int(verification.eventCount),
      ]
    ) { $0.authorityLevel = .executor }
    return Outcome(changed: true, level: .executor, bootstrap: bootstrap)
  }

  public static func revoke(_ machine: Machine, caller: Caller, reason: String) throws(A0Error) -> Outcome {
    guard machine.state.authorityLevel == .executor else {
      return Outcome(changed: false, level: machine.state.authorityLevel, bootstrap: false)
    }
    try machine.updateState(
      eventType: "authority_revoked", actor: caller.actor,
      details: ["level": "observer", "notes": .string(reason), "cause": "revoked by a human"]
    ) { $0.authorityLevel = .observer }
    return Outcome(changed: true, level: .observer, bootstrap: false)
  }
}

/// Facts read from the whole journal.
struct LifecycleHistory {
  var completedUpgrade = false
  var completedRollback = false
  var everGrantedExecutor = false

  init(events: [AuditEvent]) {
    for event in events {
      if event.eventType == "authority_granted" { everGrantedExecutor = true }
      guard event.eventType == "state_transition" else { continue }
      let reason = event.details["reason_code"]?.stringValue
      let operation = event.details["operation_type"]?.stringValue
      if event.details["to"] == "COMPLETE" && reason == ReasonCode.healthCheckPassed.rawValue {
        if operation == OperationType.rollback.rawValue {
          completedRollback = true
        } else {
          completedUpgrade = true
        }
      }
      if reason == ReasonCode.rollbackCompleted.rawValue { completedRollback = true }
    }
  }
}
