/// One line of the audit journal (DESIGN.md §4): the seed fields
/// `timestamp`, `event_type`, `actor`, `details`, chained by `seq`,
/// `prev_hash` and `hash`.
public struct AuditEvent: Equatable, Sendable {
  public static let genesisHash = String(repeating: "0", count: 64)

  public var seq: Int64
  public var timestamp: Timestamp
  public var eventType: String
  public var actor: String
  public var details: [String: JSONValue]
  public var prevHash: String
  public var hash: String

  public init(
    seq: Int64, timestamp: Timestamp, eventType: String, actor: String, details: [String: JSONValue],
    prevHash: String, hash: String = ""
  ) {
    self.seq = seq
    self.timestamp = timestamp
    self.eventType = eventType
    self.actor = actor
    self.details = details
    self.prevHash = prevHash
    self.hash = hash
  }

  /// What `hash` is the SHA-256 of: the event without `hash`, canonical.
  public var hashInput: [UInt8] {
    JSONValue.object(fieldsWithoutHash).canonicalBytes
  }

  /// The journal line, canonical, ending in a newline.
  public var line: [UInt8] { Self.line(hashInput: hashInput, hash: hash, tail: tailLength) }

  /// The canonical line is the hash input with `"hash":"…",` inserted before
  /// the last three keys (`prev_hash`, `seq`, `timestamp` sort after
  /// `hash`), whose serialised length is known from their values — so one
  /// serialisation serves both.
  static func line(hashInput: [UInt8], hash: String, tail: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(hashInput.count + hash.utf8.count + 12)
    let split = hashInput.count - tail
    bytes.append(contentsOf: hashInput[..<split])
    bytes.append(contentsOf: Array("\"hash\":".utf8))
    bytes.append(contentsOf: JSONValue.string(hash).canonicalBytes)
    bytes.append(UInt8(ascii: ","))
    bytes.append(contentsOf: hashInput[split...])
    bytes.append(UInt8(ascii: "\n"))
    return bytes
  }

  /// Bytes of `"prev_hash":…,"seq":…,"timestamp":…}` at the end of the hash input.
  var tailLength: Int {
    Array("\"prev_hash\":,\"seq\":,\"timestamp\":}".utf8).count
      + JSONValue.string(prevHash).canonicalBytes.count
      + String(seq).utf8.count + JSONValue.string(timestamp.iso8601).canonicalBytes.count
  }

  private var fieldsWithoutHash: [String: JSONValue] {
    [
      "seq": .int(seq),
      "timestamp": .string(timestamp.iso8601),
      "event_type": .string(eventType),
      "actor": .string(actor),
      "details": .object(details),
      "prev_hash": .string(prevHash),
    ]
  }

  /// The state this event moved the machine to, when it changed state.json.
  public var stateAfter: JSONValue? { details["state_after"] }
}

/// Why one journal line cannot be trusted.
public enum JournalLineError: Error, Equatable, Sendable, CustomStringConvertible {
  case notJSON(String)
  case badField(String)
  case notCanonical
  case wrongSequence(expected: Int64, found: Int64)
  case brokenChain
  case hashMismatch
  case torn

  public var description: String {
    switch self {
    case .notJSON(let reason): "not a JSON object (\(reason))"
    case .badField(let field): "field \(field) is missing or has the wrong type"
    case .notCanonical: "not in canonical form (edited by hand?)"
    case .wrongSequence(let expected, let found):
      "seq is \(found), expected \(expected) (a line was removed, added or moved)"
    case .brokenChain:
      "prev_hash does not match the hash of the line before (a line was removed, added or moved)"
    case .hashMismatch: "hash does not match the content (the line was edited)"
    case .torn: "the last line is incomplete (no newline: a write was cut off)"
    }
  }
}

extension AuditEvent {
  /// Reads one journal line (without its newline) and checks it is in
  /// canonical form and carries the hash of its own content.
  public static func parse(line: ArraySlice<UInt8>, sha256: ([UInt8]) -> String) throws(JournalLineError)
    -> AuditEvent
  {
    let value: JSONValue
    do { value = try JSONValue.parse(line) } catch { throw .notJSON(error.description) }
    guard let members = value.objectValue else { throw .notJSON("not an object") }
    guard members.count == 7 else { throw .badField("(field set)") }
    guard let seq = members["seq"]?.intValue else { throw .badField("seq") }
    guard let time = members["timestamp"]?.stringValue.flatMap(Timestamp.init(iso8601:)) else {
      throw .badField("timestamp")
    }
    guard let eventType = members["event_type"]?.stringValue else { throw .badField("event_type") }
    guard let actor = members["actor"]?.stringValue else { throw .badField("actor") }
    guard let details = members["details"]?.objectValue else { throw .badField("details") }
    guard let prevHash = members["prev_hash"]?.stringValue else { throw .badField("prev_hash") }
    guard let hash = members["hash"]?.stringValue else { throw .badField("hash") }
    let event = AuditEvent(
      seq: seq, timestamp: time, eventType: eventType, actor: actor, details: details, prevHash: prevHash,
      hash: hash)
    let input = event.hashInput
    guard Self.line(hashInput: input, hash: hash, tail: event.tailLength).dropLast().elementsEqual(line)
    else {
      throw .notCanonical
    }
    guard sha256(input) == hash else { throw .hashMismatch }
    return event
  }
}

/// The result of walking the whole journal.
public struct JournalVerification: Equatable, Sendable {
  public var eventCount: Int
  public var headHash: String
  /// The first bad line (1-based) and why; nil when the chain is intact.
  public var firstError: (line: Int, error: JournalLineError)?

  public var isIntact: Bool { firstError == nil }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.eventCount == rhs.eventCount && lhs.headHash == rhs.headHash
      && lhs.firstError?.line == rhs.firstError?.line && lhs.firstError?.error == rhs.firstError?.error
  }
}
