import A0Core
import Testing

private let time = Timestamp(iso8601: "2026-01-01T00:00:00.000Z")!

@Suite("state.json schema")
struct StateRecordTests {
  @Test("a record survives JSON and back")
  func roundTrip() throws {
    let record = StateRecord(
      currentState: .failed, enteredAt: time, previousState: .staging, authorityLevel: .executor,
      observedState: .consistent, lastFailure: FailureRecord(state: .staging, error: "e", occurredAt: time),
      reasonCode: .stagingFailed, auditSeq: 9, auditHash: String(repeating: "b", count: 64))
    let parsed = try StateRecord(json: JSONValue.parse(record.json.prettyString))
    #expect(parsed == record)
  }

  @Test("the file keeps the seed's field names")
  func seedNames() throws {
    let json = StateRecord.initial(at: time).json
    for field in [
      "current_state", "entered_at", "previous_state", "authority_level", "observed_state",
      "active_operation",
      "last_failure", "locks",
    ] {
      #expect(json[field] != nil, "\(field)")
    }
    #expect(json["locks"]?["upgrade_locked"] == .bool(false))
    #expect(json["locks"]?["rollback_locked"] == .bool(false))
    #expect(json["locks"]?["lock_reason"] == .null)
  }

  static let corrupt: [(String, String)] = [
    ("[]", "not an object"),
    (#"{"current_state":"IDLE"}"#, "missing field"),
    (
      #"{"current_state":"NAPPING","entered_at":"2026-01-01T00:00:00.000Z","previous_state":null,"authority_level":"observer","observed_state":"UNKNOWN","active_operation":null,"operation_id":null,"last_failure":null,"locks":{"upgrade_locked":false,"rollback_locked":false,"lock_reason":null},"reason_code":null,"audit_seq":1,"audit_hash":"x"}"#,
      "unknown state"
    ),
    (
      #"{"current_state":"IDLE","entered_at":42,"previous_state":null,"authority_level":"observer","observed_state":"UNKNOWN","active_operation":null,"operation_id":null,"last_failure":null,"locks":{"upgrade_locked":false,"rollback_locked":false,"lock_reason":null},"reason_code":null,"audit_seq":1,"audit_hash":"x"}"#,
      "wrong type"
    ),
    (
      #"{"current_state":"IDLE","entered_at":"2026-01-01T00:00:00.000Z","previous_state":null,"authority_level":"root","observed_state":"UNKNOWN","active_operation":null,"operation_id":null,"last_failure":null,"locks":{"upgrade_locked":false,"rollback_locked":false,"lock_reason":null},"reason_code":null,"audit_seq":1,"audit_hash":"x"}"#,
      "unknown authority"
    ),
    (
      #"{"current_state":"IDLE","entered_at":"2026-01-01T00:00:00.000Z","previous_state":null,"authority_level":"observer","observed_state":"UNKNOWN","active_operation":null,"operation_id":null,"last_failure":null,"locks":{"upgrade_locked":"no","rollback_locked":false,"lock_reason":null},"reason_code":null,"audit_seq":1,"audit_hash":"x"}"#,
      "wrong nested type"
    ),
    (
      #"{"current_state":"IDLE","entered_at":"2026-01-01T00:00:00.000Z","previous_state":null,"authority_level":"observer","observed_state":"UNKNOWN","active_operation":null,"operation_id":null,"last_failure":null,"locks":{"upgrade_locked":false,"rollback_locked":false,"lock_reason":null},"reason_code":null,"audit_seq":1,"audit_hash":"x","extra":1}"#,
      "unknown field"
    ),
  ]

  @Test("off-schema documents are refused with the field named", arguments: corrupt)
  func offSchema(document: String, label: String) throws {
    #expect(throws: StateSchemaError.self, "\(label)") { try StateRecord(json: JSONValue.parse(document)) }
  }
}
