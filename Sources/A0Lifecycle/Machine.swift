import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// The state machine of one home: the journal, state.json and the lock,
/// used in one order — journal first, then state (invariant 5).
public final class Machine {
  public let paths: HomePaths
  public let config: Config
  public let journal: Journal
  public let store: StateStore
  public let world: World
  public var clock: any Clock { world.clock }
  /// What every child process of this home is given: the home's tool
  /// search path, its own HOME, the caller's network settings only.
  public let children: ChildEnvironment
  public internal(set) var state: StateRecord
  /// Held for mutating commands, and by readers only while they repair.
  public private(set) var lock: HomeLock?
  /// What recovery found and did, for the command's output.
  public internal(set) var recoveryNotes: [String] = []
  /// How the human of this command proved it; journaled with each of its events.
  public internal(set) var proofEvidence: [String: JSONValue]?
  /// The front end the agent came through (`mcp`, and the client as it names
  /// itself); journaled with each of the agent's events.
  public var frontEnd: [String: JSONValue]?

  init(paths: HomePaths, config: Config, world: World, state: StateRecord, lock: HomeLock?) {
    self.paths = paths
    self.config = config
    self.journal = Journal(path: paths.journal)
    self.store = StateStore(path: paths.state)
    self.world = world
    self.children = ChildEnvironment.forHome(
      searchPath: config.tools.path ?? ChildEnvironment.safeSearchPath, home: paths.childHome)
    self.state = state
    self.lock = lock
  }

  /// A runner for this home's children.
  public func runner(killGroupOnExit: Bool = true, onStart: (@Sendable (Int32?) -> Void)? = nil)
    -> any CommandRunning
  {
    world.commands(ProcessRunner(environment: children, killGroupOnExit: killGroupOnExit, onStart: onStart))
  }

  /// An HTTP client whose requests run as this home's children.
  public func http() -> any HTTPFetching { world.http(runner()) }

  /// This home's notifications.
  public func notifier() -> Notifier {
    Notifier(paths: paths, config: config, world: world, children: children)
  }

  /// The configured upstream, reached through this home's runner and HTTP client.
  public func upstream() -> Upstream {
    let runner = runner()
    return Upstream(config: config, runner: runner, http: world.http(runner))
  }

  /// Opens a home for a mutating command: config (65), then the lock (4),
  /// then recovery (DESIGN.md §5 order).
  public static func openForMutation(
    paths: HomePaths, command: String, waitSeconds: Double, world: World = .system
  ) throws(A0Error) -> Machine {
    let config = try loadConfig(paths)
    let lock = try HomeLock.acquire(
      path: paths.lock, command: command, waitSeconds: waitSeconds, clock: world.clock)
    try FileIO.makeDirectory(paths.childHome, mode: 0o700)
    let machine = Machine(
      paths: paths, config: config, world: world, state: .initial(at: world.clock.now()), lock: lock)
    try machine.recover()
    machine.notifier().baseline { (try? machine.journal.readTail().lastEvent?.seq) ?? 0 }
    return machine
  }

  /// Opens a home for a read-only command. It never waits for the lock; it
  /// takes it, without waiting, only when something needs repair, and
  /// otherwise reads the atomic files as they are.
  public static func openForReading(paths: HomePaths, command: String, world: World = .system)
    throws(A0Error) -> Machine
  {
    let config = try loadConfig(paths)
    let machine = Machine(
      paths: paths, config: config, world: world, state: .initial(at: world.clock.now()), lock: nil)
    let finding = try machine.inspect()
    if case .consistent(let record) = finding, !machine.mayNeedOperationRecovery(record) {
      machine.state = record
      return machine
    }
    if let lock = HomeLock.tryAcquire(path: paths.lock, command: command) {
      machine.lock = lock
      defer { machine.releaseLock() }
      try machine.recover()
      return machine
    }
    // A mutator holds the lock: it may be between its journal append and its
    // state write, so show state.json as it stands.
    switch StateStore(path: paths.state).load() {
    case .valid(let record):
      machine.state = record
      machine.recoveryNotes.append("another a0 command is running; this view may be a moment old")
      return machine
    case .missing, .corrupt:
      throw A0Error(
        .busy, "state.json cannot be read right now",
        why: "\(HomeLock.holderDescription(path: paths.lock)) holds the lock and will repair it",
        next: "Run the command again in a moment")
    }
  }

  /// The configuration, and the signers file it names when signatures
  /// prove humans: both must be files a0 trusts (`HomeTrust`).
  static func loadConfig(_ paths: HomePaths) throws(A0Error) -> Config {
    let config = try ConfigLoader.load(path: paths.config)
    if config.humans.proof == .sshSignature { try HomeTrust.verifySigners(paths, config) }
    return config
  }

  /// Takes the lock only if it is free at once.
  public func takeLockIfFree(command: String) -> Bool {
    if lock != nil { return true }
    lock = HomeLock.tryAcquire(path: paths.lock, command: command)
    return lock != nil
  }

  /// Brings the home into agreement before writing under a lock taken late.
  public func recoverIfNeeded() throws(A0Error) {
    try recover()
  }

  public func releaseLock() {
    lock?.release()
    lock = nil
  }

  // MARK: - Transitions

  /// The result of asking for a transition.
  public enum Outcome: Equatable, Sendable {
    case applied(AuditEvent)
    /// Repeating the command that caused the current state (invariant 8).
    case alreadyDone
  }

  /// Moves the machine: checks the table (exit 2 naming the allowed next
  /// states), journals the transition with the whole new state, then
  /// writes state.json.
  @discardableResult
  public func transition(
    to target: LifecycleState, reason: ReasonCode, caller: Caller, notes: String,
    for action: Action? = nil, details extra: [String: JSONValue] = [:],
    update: (inout StateRecord) -> Void = { _ in }
  ) throws(A0Error) -> Outcome {
    if try checkTransition(to: target, reason: reason, for: action) == .alreadyDone {
      return .alreadyDone
    }
    var next = state
    next.previousState = state.currentState
    next.currentState = target
    next.enteredAt = clock.now()
    next.reasonCode = reason
    update(&next)
    normalise(&next)
    var details = extra
    details["from"] = .string(state.currentState.rawValue)
    details["to"] = .string(target.rawValue)
    details["reason_code"] = .string(reason.rawValue)
    details["notes"] = .string(notes)
    details["authority_level"] = .string(caller.isHuman ? "human" : next.authorityLevel.rawValue)
    details["actor"] = .string(caller.actor)
    let event = try commit(next, eventType: "state_transition", actor: caller.actor, details: details)
    return .applied(event)
  }

  /// Exit 2 unless the state is one `action`'s rule starts from, naming
  /// the states and what to do (`next`).
  public func requireState(for action: Action, next: String) throws(A0Error) {
    let states = ActionRules.rule(action).states
    guard states.contains(state.currentState) else {
      let allowed = states.sorted().map(\.rawValue).joined(separator: " or ")
      throw A0Error(
        .wrongState, "\(action.rawValue) runs only in \(allowed), not \(state.currentState.rawValue)",
        next: next)
    }
  }

  /// Exit 2 when FAILED_HARD's locks stop `action` (its rule in
  /// `ActionRules` says which lock does), until a human resets.
  public func requireUnlocked(for action: Action) throws(A0Error) {
    let rule = ActionRules.rule(action)
    let locked: String
    if rule.isLockedByUpgradeLock && state.locks.upgradeLocked {
      locked = action == .cleanupArtifacts ? "artifacts are" : "upgrades are"
    } else if rule.isLockedByRollbackLock && state.locks.rollbackLocked {
      locked = "rollbacks are"
    } else {
      return
    }
    throw A0Error(
      .wrongState, "\(locked) locked in \(state.currentState.rawValue)", why: state.locks.lockReason,
      next: "A human must run `a0 reset --reason TEXT` first")
  }

  /// Why a staging starts from here: a retry after a failure, or an approval.
  public var stagingReason: ReasonCode { state.currentState == .failed ? .retryRequested : .approvalGranted }

  /// The operation being validated, for the actions that run only in
  /// VALIDATING; exit 2 naming the action and what to do otherwise.
  public func validatingOperation(for action: Action, next: String) throws(A0Error)
    -> (operation: ActiveOperation, operationID: String)
  {
    try requireState(for: action, next: next)
    guard let operation = state.activeOperation, let operationID = state.operationID else {
      throw A0Error(
        .wrongState, "\(action.rawValue) finds no operation in \(state.currentState.rawValue)", next: next)
    }
    return (operation, operationID)
  }

  /// The state check of a transition without applying it (exit 2 naming
  /// the allowed next states), so a command can fail before it prompts.
  /// With `action`, the state must also be one its rule starts from.
  @discardableResult
  public func checkTransition(to target: LifecycleState, reason: ReasonCode, for action: Action? = nil)
    throws(A0Error) -> TransitionDecision
  {
    let allowedFrom = action.map { ActionRules.rule($0).states }
    let decision = TransitionTable.decide(state, to: target, reason: reason)
    switch decision {
    case .alreadyDone:
      break
    case .refused(let from, let allowed):
      throw wrongState(from: from, target: target, allowed: allowed, commandNeeds: allowedFrom)
    case .apply:
      if let allowedFrom, !allowedFrom.contains(state.currentState) {
        throw wrongState(
          from: state.currentState, target: target,
          allowed: TransitionTable.allowedTargets(from: state.currentState),
          commandNeeds: allowedFrom)
      }
    }
    return decision
  }

  /// Changes state.json without a transition (authority grants and
  /// revocations, `observed_state`), journaled first like any change.
  @discardableResult
  public func updateState(
    eventType: String, actor: String, details: [String: JSONValue], update: (inout StateRecord) -> Void
  ) throws(A0Error) -> AuditEvent {
    var next = state
    update(&next)
    normalise(&next)
    return try commit(next, eventType: eventType, actor: actor, details: details)
  }

  /// Journals an event that does not change state.json.
  @discardableResult
  public func record(eventType: String, actor: String, details: [String: JSONValue]) throws(A0Error)
    -> AuditEvent
  {
    var fields = details
    annotate(&fields, actor: actor)
    return try journal.append(eventType: eventType, actor: actor, details: fields, at: clock.now())
  }

  /// What an event says about how its actor came: a human's proof, the agent's front end.
  private func annotate(_ fields: inout [String: JSONValue], actor: String) {
    if actor.hasPrefix("human:"), let proofEvidence { fields["proof"] = .object(proofEvidence) }
    if actor.hasPrefix("agent:"), let frontEnd { fields["via"] = .object(frontEnd) }
  }

  /// The structural consequences of a state, applied to every new record
  /// so that no caller can forget them.
  private func normalise(_ record: inout StateRecord) {
    if !record.currentState.isOperationActive {
      record.activeOperation = nil
      record.operationID = nil
    }
    if record.currentState == .failedHard {
      record.authorityLevel = .observer
      record.locks = Locks(
        upgradeLocked: true, rollbackLocked: true,
        lockReason: record.locks.lockReason ?? record.lastFailure?.error ?? "FAILED_HARD")
    } else {
      record.locks = .open
    }
  }

  private func commit(_ next: StateRecord, eventType: String, actor: String, details: [String: JSONValue])
    throws(A0Error) -> AuditEvent
  {
    var probe = next
    probe.auditSeq = 1
    probe.auditHash = AuditEvent.genesisHash
    let violations = probe.invariantViolations()
    guard violations.isEmpty else {
      throw A0Error(
        .operationFailed, "refusing a change that would break an invariant",
        why: violations.map(\.description).joined(separator: "; "),
        next: "This is a bug in a0; nothing was written")
    }
    var fields = details
    annotate(&fields, actor: actor)
    fields["state_after"] = next.withoutAuditReference.stateAfterJSON
    let point = eventType == "state_transition" ? "transition-\(next.currentState.rawValue)" : eventType
    try FaultPoint.reach("\(point).before-journal")
    let event = try journal.append(eventType: eventType, actor: actor, details: fields, at: clock.now())
    try FaultPoint.reach("\(point).after-journal")
    var written = next
    written.auditSeq = event.seq
    written.auditHash = event.hash
    try store.save(written)
    state = written
    try FaultPoint.reach("\(point).after-state")
    return event
  }

  private func wrongState(
    from: LifecycleState, target: LifecycleState, allowed: [LifecycleState],
    commandNeeds: Set<LifecycleState>? = nil
  ) -> A0Error {
    let next = allowed.isEmpty ? "none" : allowed.map(\.rawValue).joined(separator: ", ")
    var why =
      "\(from.rawValue) → \(target.rawValue) is not allowed; from \(from.rawValue) the machine may go to: \(next)"
    if let commandNeeds {
      why =
        "this command runs only in \(commandNeeds.sorted().map(\.rawValue).joined(separator: " or ")); "
        + "from \(from.rawValue) the machine may go to: \(next)"
    }
    return A0Error(
      .wrongState, "not allowed in state \(from.rawValue)", why: why, next: "See `a0 explain-state`")
  }
}

extension Machine {
  /// What a health answer must name for `version` to be the release answering.
  func healthVersion(_ version: String) -> (check: HealthVersion, version: String)? {
    guard let check = HealthVersion(path: config.service.healthVersion), !check.isOff else { return nil }
    return (check, version)
  }
}
