import A0Core
import A0System

/// `.billy/approvals/`: one JSON file per request, written atomically.
public struct ApprovalStore {
  public let directory: String

  public init(paths: HomePaths) { directory = paths.approvals }

  public func path(for requestID: String) -> String { "\(directory)/\(requestID).json" }

  public func load(_ requestID: String) throws(A0Error) -> ApprovalRecord? {
    guard ApprovalRecord.isValidRequestID(requestID) else { return nil }
    guard let bytes = try FileIO.read(path(for: requestID)) else { return nil }
    do {
      let record = try ApprovalRecord(json: try JSONValue.parse(bytes))
      guard record.requestID == requestID else {
        throw A0Error(
          .integrityViolation, "approval file \(requestID).json names request \(record.requestID)")
      }
      return record
    } catch let error as A0Error {
      throw error
    } catch {
      throw A0Error(
        .integrityViolation, "approval file \(requestID).json is unreadable", why: "\(error)",
        next: "Deny or re-request; a0 does not trust an approval it cannot read")
    }
  }

  /// Every readable record, oldest first; unreadable files are named, not hidden.
  public func all() throws(A0Error) -> (records: [ApprovalRecord], unreadable: [String]) {
    guard FileIO.isDirectory(directory) else { return ([], []) }
    var records: [ApprovalRecord] = []
    var unreadable: [String] = []
    for name in try FileIO.listDirectory(directory).sorted() where name.hasSuffix(".json") {
      let id = String(name.dropLast(5))
      do {
        if let record = try load(id) { records.append(record) } else { unreadable.append(name) }
      } catch {
        unreadable.append(name)
      }
    }
    return (records.sorted { $0.requestedAt < $1.requestedAt }, unreadable)
  }

  public func save(_ record: ApprovalRecord) throws(A0Error) {
    try FileIO.makeDirectory(directory)
    try FileIO.writeAtomically(path(for: record.requestID), Array(record.json.prettyString.utf8))
  }
}
