import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// What reading state.json found.
public enum StateLoad: Sendable {
  case missing
  case valid(StateRecord)
  /// Unreadable, not JSON, wrong schema, or breaking an invariant.
  case corrupt(reason: String)
}

/// `.billy/state.json`: validated, atomic writes; strict reads.
public struct StateStore: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  public func load() -> StateLoad {
    let bytes: [UInt8]
    do {
      guard let read = try FileIO.read(path, followLinks: false) else { return .missing }
      bytes = read
    } catch {
      return .corrupt(reason: error.what + (error.why.map { ": \($0)" } ?? ""))
    }
    if bytes.isEmpty { return .corrupt(reason: "the file is empty") }
    let json: JSONValue
    do { json = try JSONValue.parse(bytes) } catch { return .corrupt(reason: "not valid JSON (\(error))") }
    let record: StateRecord
    do { record = try StateRecord(json: json) } catch { return .corrupt(reason: error.description) }
    let violations = record.invariantViolations()
    if !violations.isEmpty {
      return .corrupt(reason: violations.map(\.description).joined(separator: "; "))
    }
    return .valid(record)
  }

  /// Invariant 6: refuse to write a state that breaks an invariant, then
  /// write it atomically.
  public func save(_ record: StateRecord) throws(A0Error) {
    let violations = record.invariantViolations()
    guard violations.isEmpty else {
      throw A0Error(
        .operationFailed, "refusing to write an invalid state",
        why: violations.map(\.description).joined(separator: "; "),
        next: "This is a bug in a0; the state on disk is unchanged")
    }
    try FileIO.writeAtomically(path, Array(record.json.prettyString.utf8))
  }

  /// Moves a corrupt state.json aside as `state.json.corrupt-<time>` and
  /// returns the new path; the evidence is kept, never deleted.
  public func quarantine(at time: Timestamp) throws(A0Error) -> String {
    let target = "\(path).corrupt-\(time.compact)"
    try FileIO.rename(path, to: target)
    try FileIO.fsyncDirectory(FileIO.parent(of: path))
    return target
  }
}
