/// The operation under way while the state is STAGING, VALIDATING,
/// PROMOTING or ROLLING_BACK.
public struct ActiveOperation: Equatable, Sendable {
  public var type: OperationType
  public var targetVersion: String
  public var startedAt: Timestamp

  public init(type: OperationType, targetVersion: String, startedAt: Timestamp) {
    self.type = type
    self.targetVersion = targetVersion
    self.startedAt = startedAt
  }
}

/// The last failure, kept until a human clears it.
public struct FailureRecord: Equatable, Sendable {
  public var state: LifecycleState
  public var error: String
  public var occurredAt: Timestamp
  public var cleared: Bool

  public init(state: LifecycleState, error: String, occurredAt: Timestamp, cleared: Bool = false) {
    self.state = state
    self.error = error
    self.occurredAt = occurredAt
    self.cleared = cleared
  }
}

public struct Locks: Equatable, Sendable {
  public var upgradeLocked: Bool
  public var rollbackLocked: Bool
  public var lockReason: String?

  public init(upgradeLocked: Bool = false, rollbackLocked: Bool = false, lockReason: String? = nil) {
    self.upgradeLocked = upgradeLocked
    self.rollbackLocked = rollbackLocked
    self.lockReason = lockReason
  }

  public static let open = Locks()
}

/// The content of `.billy/state.json`: the seed schema plus `operation_id`,
/// `reason_code`, and the journal event (`audit_seq`, `audit_hash`) whose
/// `state_after` it mirrors.
public struct StateRecord: Equatable, Sendable {
  public var currentState: LifecycleState
  public var enteredAt: Timestamp
  public var previousState: LifecycleState?
  public var authorityLevel: AuthorityLevel
  public var observedState: ObservedState
  public var activeOperation: ActiveOperation?
  public var operationID: String?
  public var lastFailure: FailureRecord?
  public var locks: Locks
  public var reasonCode: ReasonCode?
  public var auditSeq: Int64
  public var auditHash: String

  public init(
    currentState: LifecycleState, enteredAt: Timestamp, previousState: LifecycleState? = nil,
    authorityLevel: AuthorityLevel = .observer, observedState: ObservedState = .unknown,
    activeOperation: ActiveOperation? = nil, operationID: String? = nil, lastFailure: FailureRecord? = nil,
    locks: Locks = .open, reasonCode: ReasonCode? = nil, auditSeq: Int64 = 0, auditHash: String = ""
  ) {
    self.currentState = currentState
    self.enteredAt = enteredAt
    self.previousState = previousState
    self.authorityLevel = authorityLevel
    self.observedState = observedState
    self.activeOperation = activeOperation
    self.operationID = operationID
    self.lastFailure = lastFailure
    self.locks = locks
    self.reasonCode = reasonCode
    self.auditSeq = auditSeq
    self.auditHash = auditHash
  }

  /// The state of a freshly initialised home.
  public static func initial(at time: Timestamp) -> StateRecord {
    StateRecord(currentState: .idle, enteredAt: time)
  }

  /// The record without its journal reference: what an event's
  /// `details.state_after` holds (an event cannot contain its own hash).
  public var withoutAuditReference: StateRecord {
    var copy = self
    copy.auditSeq = 0
    copy.auditHash = ""
    return copy
  }
}

// MARK: - JSON

/// Why a state document was refused; each case is one of the corrupt-file
/// variants a0 detects.
public enum StateSchemaError: Error, Equatable, CustomStringConvertible {
  case notAnObject
  case missingField(String)
  case wrongType(field: String, expected: String)
  case unknownValue(field: String, value: String)
  case unknownField(String)

  public var description: String {
    switch self {
    case .notAnObject: "the document is not a JSON object"
    case .missingField(let field): "field \(field) is missing"
    case .wrongType(let field, let expected): "field \(field) is not \(expected)"
    case .unknownValue(let field, let value): "field \(field) has the unknown value \"\(value)\""
    case .unknownField(let field): "field \(field) is not part of the schema"
    }
  }
}

extension StateRecord {
  static let stateAfterFields: Set<String> = [
    "current_state", "entered_at", "previous_state", "authority_level", "observed_state",
    "active_operation", "operation_id", "last_failure", "locks", "reason_code",
  ]
  static let auditFields: Set<String> = ["audit_seq", "audit_hash"]

  /// The full state.json document.
  public var json: JSONValue {
    guard case .object(var members) = stateAfterJSON else { return stateAfterJSON }
    members["audit_seq"] = .int(auditSeq)
    members["audit_hash"] = .string(auditHash)
    return .object(members)
  }

  /// The fields an event's `details.state_after` carries.
  public var stateAfterJSON: JSONValue {
    .object([
      "current_state": .string(currentState.rawValue),
      "entered_at": .string(enteredAt.iso8601),
      "previous_state": .optional(previousState?.rawValue),
      "authority_level": .string(authorityLevel.rawValue),
      "observed_state": .string(observedState.rawValue),
      "active_operation": activeOperation.map { operation in
        [
          "type": .string(operation.type.rawValue),
          "target_version": .string(operation.targetVersion),
          "started_at": .string(operation.startedAt.iso8601),
        ]
      } ?? .null,
      "operation_id": .optional(operationID),
      "last_failure": lastFailure.map { failure in
        [
          "state": .string(failure.state.rawValue),
          "error": .string(failure.error),
          "occurred_at": .string(failure.occurredAt.iso8601),
          "cleared": .bool(failure.cleared),
        ]
      } ?? .null,
      "locks": [
        "upgrade_locked": .bool(locks.upgradeLocked),
        "rollback_locked": .bool(locks.rollbackLocked),
        "lock_reason": .optional(locks.lockReason),
      ],
      "reason_code": .optional(reasonCode?.rawValue),
    ])
  }

  /// Reads a full state.json document; every field is required and typed.
  public init(json: JSONValue) throws(StateSchemaError) {
    try self.init(json: json, requireAuditReference: true)
  }

  /// Reads an event's `details.state_after`.
  public init(stateAfter json: JSONValue) throws(StateSchemaError) {
    try self.init(json: json, requireAuditReference: false)
  }

  private init(json: JSONValue, requireAuditReference: Bool) throws(StateSchemaError) {
    guard let members = json.objectValue else { throw .notAnObject }
    let known = requireAuditReference ? Self.stateAfterFields.union(Self.auditFields) : Self.stateAfterFields
    if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
      throw .unknownField(unknown)
    }
    let fields = FieldReader(members: members, prefix: "")
    currentState = try fields.enumeration("current_state")
    enteredAt = try fields.timestamp("entered_at")
    previousState = try fields.optionalEnumeration("previous_state")
    authorityLevel = try fields.enumeration("authority_level")
    observedState = try fields.enumeration("observed_state")
    operationID = try fields.optionalString("operation_id")
    reasonCode = try fields.optionalEnumeration("reason_code")
    if let operation = try fields.optionalObject("active_operation") {
      try operation.rejectUnknown(["type", "target_version", "started_at"])
      activeOperation = ActiveOperation(
        type: try operation.enumeration("type"), targetVersion: try operation.string("target_version"),
        startedAt: try operation.timestamp("started_at"))
    } else {
      activeOperation = nil
    }
    if let failure = try fields.optionalObject("last_failure") {
      try failure.rejectUnknown(["state", "error", "occurred_at", "cleared"])
      lastFailure = FailureRecord(
        state: try failure.enumeration("state"), error: try failure.string("error"),
        occurredAt: try failure.timestamp("occurred_at"), cleared: try failure.bool("cleared"))
    } else {
      lastFailure = nil
    }
    guard let lockFields = try fields.optionalObject("locks") else {
      throw .wrongType(field: "locks", expected: "an object")
    }
    try lockFields.rejectUnknown(["upgrade_locked", "rollback_locked", "lock_reason"])
    locks = Locks(
      upgradeLocked: try lockFields.bool("upgrade_locked"),
      rollbackLocked: try lockFields.bool("rollback_locked"),
      lockReason: try lockFields.optionalString("lock_reason"))
    if requireAuditReference {
      guard let seq = try fields.value("audit_seq").intValue else {
        throw .wrongType(field: "audit_seq", expected: "an integer")
      }
      auditSeq = seq
      auditHash = try fields.string("audit_hash")
    } else {
      auditSeq = 0
      auditHash = ""
    }
  }
}

/// Typed access to the members of one JSON object, naming the field on error.
struct FieldReader {
  let members: [String: JSONValue]
  let prefix: String

  func name(_ key: String) -> String { prefix + key }

  func value(_ key: String) throws(StateSchemaError) -> JSONValue {
    guard let value = members[key] else { throw .missingField(name(key)) }
    return value
  }

  func rejectUnknown(_ known: Set<String>) throws(StateSchemaError) {
    if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
      throw .unknownField(name(unknown))
    }
  }

  func string(_ key: String) throws(StateSchemaError) -> String {
    guard let text = try value(key).stringValue else {
      throw .wrongType(field: name(key), expected: "a string")
    }
    return text
  }

  func optionalString(_ key: String) throws(StateSchemaError) -> String? {
    let raw = try value(key)
    if raw.isNull { return nil }
    guard let text = raw.stringValue else { throw .wrongType(field: name(key), expected: "a string or null") }
    return text
  }

  func bool(_ key: String) throws(StateSchemaError) -> Bool {
    guard let flag = try value(key).boolValue else {
      throw .wrongType(field: name(key), expected: "a boolean")
    }
    return flag
  }

  func timestamp(_ key: String) throws(StateSchemaError) -> Timestamp {
    let text = try string(key)
    guard let time = Timestamp(iso8601: text) else { throw .unknownValue(field: name(key), value: text) }
    return time
  }

  func enumeration<Value: RawRepresentable>(_ key: String) throws(StateSchemaError) -> Value
  where Value.RawValue == String {
    let text = try string(key)
    guard let parsed = Value(rawValue: text) else { throw .unknownValue(field: name(key), value: text) }
    return parsed
  }

  func optionalEnumeration<Value: RawRepresentable>(_ key: String) throws(StateSchemaError) -> Value?
  where Value.RawValue == String {
    guard let text = try optionalString(key) else { return nil }
    guard let parsed = Value(rawValue: text) else { throw .unknownValue(field: name(key), value: text) }
    return parsed
  }

  func optionalObject(_ key: String) throws(StateSchemaError) -> FieldReader? {
    let raw = try value(key)
    if raw.isNull { return nil }
    guard let nested = raw.objectValue else {
      throw .wrongType(field: name(key), expected: "an object or null")
    }
    return FieldReader(members: nested, prefix: name(key) + ".")
  }
}
