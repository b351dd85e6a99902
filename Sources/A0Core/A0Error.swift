/// The outcome classes of the exit-code table (DESIGN.md §7).
public enum ErrorKind: String, Sendable, CaseIterable {
  case operationFailed = "operation_failed"
  case wrongState = "wrong_state"
  case authorityDenied = "authority_denied"
  case busy = "busy"
  case integrityViolation = "integrity_violation"
  case approvalRequired = "approval_required"
  case upstreamUnreachable = "upstream_unreachable"
  case usage = "usage"
  case badInput = "bad_input"

  public var exitCode: Int32 {
    switch self {
    case .operationFailed: 1
    case .wrongState: 2
    case .authorityDenied: 3
    case .busy: 4
    case .integrityViolation: 5
    case .approvalRequired: 6
    case .upstreamUnreachable: 7
    case .usage: 64
    case .badInput: 65
    }
  }
}

/// Every error a0 reports: what happened, why, and what to do next, with
/// one exit code and one stable JSON `code`.
public struct A0Error: Error, Equatable, Sendable, CustomStringConvertible {
  public var kind: ErrorKind
  public var what: String
  public var why: String?
  public var next: String?
  /// For authority errors: the authority that would have been enough.
  public var authorityRequired: RequiredAuthority?

  public init(
    _ kind: ErrorKind, _ what: String, why: String? = nil, next: String? = nil,
    authorityRequired: RequiredAuthority? = nil
  ) {
    self.kind = kind
    self.what = what
    self.why = why
    self.next = next
    self.authorityRequired = authorityRequired
  }

  public var message: String {
    var text = what
    if let why { text += ": " + why }
    if let next { text += ". " + next }
    return text
  }

  public var description: String { message }
}
