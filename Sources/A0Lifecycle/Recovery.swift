import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// What comparing state.json with the end of the journal found (DESIGN.md §4).
enum ConsistencyFinding {
  case consistent(StateRecord)
  /// The last line has no newline and is no event: a write cut off by a crash.
  case tornJournal(byteCount: Int)
  /// state.json is unreadable, not JSON, off-schema or breaks an invariant.
  case corruptState(reason: String)
  /// state.json lags the journal: a crash came between append and write.
  case stateBehind(event: AuditEvent, state: StateRecord)
  /// The journal or state.json was changed behind a0's back.
  case integrityViolation(String)
}

extension Machine {
  /// The last state the journal records, the `from` of a forced move.
  private func lastJournaledState(_ tail: JournalTail) -> LifecycleState {
    tail.lastStateEvent?.stateAfter?["current_state"]?.stringValue.flatMap(LifecycleState.init(rawValue:))
      ?? .idle
  }

  func inspect() throws(A0Error) -> ConsistencyFinding {
    let tail = try journal.readTail()
    if tail.tornByteCount > 0 {
      return .tornJournal(byteCount: tail.tornByteCount)
    }
    if let damaged = tail.damagedLastLine {
      return .integrityViolation("the journal's last line does not verify: \(damaged.error)")
    }
    switch store.load() {
    case .missing:
      return .corruptState(reason: "state.json is missing")
    case .corrupt(let reason):
      return .corruptState(reason: reason)
    case .valid(let record):
      guard let event = tail.lastStateEvent, let stateAfter = event.stateAfter else {
        return .integrityViolation("state.json exists but the journal records no state")
      }
      if record.auditSeq > event.seq {
        return .integrityViolation(
          "state.json names journal event \(record.auditSeq), but the journal's last state is event \(event.seq)"
        )
      }
      if record.auditSeq < event.seq {
        guard let journaled = try? StateRecord(stateAfter: stateAfter) else {
          return .integrityViolation("journal event \(event.seq) carries an unreadable state_after")
        }
        return .stateBehind(event: event, state: journaled)
      }
      guard record.auditHash == event.hash else {
        return .integrityViolation("state.json names event \(event.seq) with another hash than the journal's")
      }
      guard record.withoutAuditReference.stateAfterJSON == stateAfter else {
        return .integrityViolation("state.json differs from the state journal event \(event.seq) recorded")
      }
      return .consistent(record)
    }
  }

  /// Brings state.json and the journal into agreement, journaling every
  /// repair. Needs the lock.
  func recover() throws(A0Error) {
    for _ in 0..<4 {
      switch try inspect() {
      case .consistent(let record):
        state = record
        try recoverOperations()
        return
      case .tornJournal(let byteCount):
        try repairTornJournal(byteCount: byteCount)
      case .corruptState(let reason):
        let tail = try journal.readTail()
        var kept: String?
        if FileIO.exists(paths.state) { kept = try store.quarantine(at: clock.now()) }
        let message =
          "state.json is corrupt: \(reason)" + (kept.map { "; kept as \(FileIO.baseName(of: $0))" } ?? "")
        try forceFailedHard(
          reason: .stateCorrupted, message: message, from: lastJournaledState(tail), tail: tail)
      case .stateBehind(let event, let journaled):
        state = journaled
        _ = try updateState(
          eventType: ReasonCode.interrupted.rawValue, actor: "system",
          details: [
            "reason_code": .string(ReasonCode.interrupted.rawValue),
            "notes": .string(
              "state.json was behind the journal (a command was interrupted); rewritten from event \(event.seq)"
            ),
            "recovered_from_seq": .int(event.seq),
          ]
        ) { _ in }
        recoveryNotes.append("state.json was behind the journal and was rewritten from event \(event.seq)")
      case .integrityViolation(let message):
        let tail = try journal.readTail()
        try forceFailedHard(
          reason: .integrityViolation, message: message, from: lastJournaledState(tail), tail: tail)
      }
    }
    throw A0Error(
      .integrityViolation, "the home could not be brought into a consistent state",
      next: "Run `a0 audit verify`")
  }

  /// Whether a reader should try the lock to finish a dead command's work:
  /// an operation in a state only a running command may hold, or builds
  /// left partial.
  func mayNeedOperationRecovery(_ record: StateRecord) -> Bool {
    if record.currentState == .staging || record.currentState == .promoting
      || record.currentState == .rollingBack
    {
      return true
    }
    guard let builds = try? FileIO.listDirectory(paths.builds) else { return false }
    return builds.contains { FileIO.exists(paths.builds + "/" + $0 + "/.partial") }
  }

  /// Finishes or reverses what a dead holder left, by facts on disk
  /// (DESIGN.md §6, Recovery). Runs under the lock, after the journal and
  /// state.json agree.
  func recoverOperations() throws(A0Error) {
    // The previous holder is dead: stop whatever it started first, so no
    // orphan writes into the files about to be cleaned.
    // Only a dead holder's: a long-lived holder (`a0 mcp`) may still run its children.
    let deadHolder = lock?.previousHolder.flatMap { ProcessGroups.isGone($0) ? $0 : nil }
    let marked = deadHolder.map { children.orphanGroups(ofHolder: $0) } ?? []
    for group in Set((lock?.orphanedChildGroups ?? []) + marked).sorted()
    where group > 1 && group != getpgrp() {
      if ProcessGroups.stop(group) {
        recoveryNotes.append("stopped process group \(group) left by a dead a0")
      }
    }
    AtomicLink.removeStale(in: paths.artifacts)
    AtomicLink.removeStale(in: paths.root)
    let active = state.currentState == .staging ? state.operationID : nil
    for build in (try? FileIO.listDirectory(paths.builds)) ?? []
    where FileIO.exists(paths.builds + "/" + build + "/.partial") && build != active {
      try FileIO.removeTree(paths.builds + "/" + build)
      try record(
        eventType: "temp_cleanup_completed", actor: "system",
        details: ["build_id": .string(build), "notes": "a partial build left by a crash was deleted"])
      recoveryNotes.append("deleted partial build \(build)")
    }
    if state.currentState == .staging {
      try recoverInterruptedStaging()
    }
    if state.currentState == .promoting || state.currentState == .rollingBack {
      recoveryNotes.append("a promotion was interrupted; finishing or reversing it by the facts on disk")
      do {
        _ = try Promoter(machine: self).recover()
      } catch {
        recoveryNotes.append(
          "recovery of the promotion ended in \(state.currentState.rawValue): \(error.message)")
      }
    }
  }

  /// STAGING → FAILED (`interrupted`), the build deleted — published or not.
  private func recoverInterruptedStaging() throws(A0Error) {
    let operation = state.operationID ?? ""
    let version = state.activeOperation?.targetVersion ?? ""
    if !operation.isEmpty, Artifacts.isValidBuildID(operation), FileIO.exists(paths.builds + "/" + operation)
    {
      if state.activeOperation?.type == .upgrade {
        try Artifacts.delete(paths, version: version, buildID: operation)
        try record(
          eventType: "temp_cleanup_completed", actor: "system",
          details: [
            "build_id": .string(operation), "notes": "the build of an interrupted staging was deleted",
          ])
      }
    }
    let now = clock.now()
    try transition(
      to: .failed, reason: .interrupted, caller: .system,
      notes: "staging of \(version) was interrupted (the a0 running it died); its build was deleted",
      details: [
        "operation_id": .string(operation), "operation_type": .optional(state.activeOperation?.type.rawValue),
      ]
    ) { record in
      record.lastFailure = FailureRecord(
        state: .staging, error: "staging of \(version) was interrupted", occurredAt: now)
    }
    recoveryNotes.append("staging of \(version) was interrupted; the machine is now FAILED")
  }

  private func repairTornJournal(byteCount: Int) throws(A0Error) {
    let removed = try journal.truncateTornTail(byteCount: byteCount)
    // A complete, verifiable event without its newline was not cut off by
    // a crash (a0 writes line and newline in one write): that is tampering.
    if let event = try? AuditEvent.parse(line: removed[...], sha256: Digest.sha256Hex) {
      _ = event
      try record(
        eventType: "journal_repaired", actor: "system",
        details: [
          "removed_bytes": .int(Int64(byteCount)),
          "notes": .string("a complete event without a newline was removed; it was not written by a0"),
        ])
      throw A0Error(
        .integrityViolation, "the journal ended in an event a0 did not write", next: "Run `a0 audit verify`")
    }
    let preview = String(decoding: removed.prefix(200), as: UTF8.self)
    try record(
      eventType: "journal_repaired", actor: "system",
      details: [
        "removed_bytes": .int(Int64(byteCount)),
        "removed_prefix": .string(preview),
        "notes": .string("a torn last line (a write cut off by a crash) was truncated"),
      ])
    recoveryNotes.append("a torn last journal line of \(byteCount) bytes was truncated")
  }

  /// The forced move of DESIGN.md §2: the home cannot be trusted, so every
  /// mutating operation is locked and executor authority revoked until a
  /// human runs `reset`.
  private func forceFailedHard(reason: ReasonCode, message: String, from: LifecycleState, tail: JournalTail)
    throws(A0Error)
  {
    let now = clock.now()
    let previousAuthority =
      tail.lastStateEvent?.stateAfter?["authority_level"]?.stringValue.flatMap(AuthorityLevel.init(rawValue:))
      ?? .observer
    let next = StateRecord(
      currentState: .failedHard, enteredAt: now, previousState: from, authorityLevel: .observer,
      observedState: .unknown, lastFailure: FailureRecord(state: from, error: message, occurredAt: now),
      locks: Locks(upgradeLocked: true, rollbackLocked: true, lockReason: message), reasonCode: reason)
    state = next
    _ = try updateState(
      eventType: "state_transition", actor: "system",
      details: [
        "from": .string(from.rawValue), "to": .string(LifecycleState.failedHard.rawValue),
        "reason_code": .string(reason.rawValue), "notes": .string(message), "authority_level": "observer",
        "actor": "system", "authority_revoked": .bool(previousAuthority == .executor),
      ]
    ) { _ in }
    recoveryNotes.append("FAILED_HARD: \(message)")
  }
}
