/// Which release answers a health check: a dotted path of JSON object keys
/// in the health answer (`gitinfo.short_tag` for Agent Zero) whose value
/// must equal the version a0 expects there. Without it any HTTP 200 passes,
/// and a restart that quietly left the old process running would promote a
/// release that is not serving.
public struct HealthVersion: Equatable, Sendable {
  /// The keys, outermost first; empty when the check is off.
  public let keys: [String]

  /// nil for text that is neither "" nor a dotted path of non-empty keys.
  public init?(path: String) {
    guard !path.isEmpty else {
      keys = []
      return
    }
    let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard path.utf8.count <= 200, parts.allSatisfy({ !$0.isEmpty }),
      !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
    else { return nil }
    keys = parts
  }

  public var isOff: Bool { keys.isEmpty }
  public var path: String { keys.joined(separator: ".") }

  /// nil when `body` is JSON naming `version` at the path; otherwise why not,
  /// in words for the journal.
  public func mismatch(body: [UInt8], version: String) -> String? {
    guard !isOff else { return nil }
    guard let document = try? JSONValue.parse(body) else {
      return "the health answer is not JSON, so \(path) cannot name the release"
    }
    var value: JSONValue? = document
    for key in keys { value = value?[key] }
    guard let value else { return "the health answer has no \(path)" }
    guard let found = value.stringValue else { return "\(path) in the health answer is not a string" }
    guard found == version else {
      let shown = found.count > 80 ? String(found.prefix(80)) + "…" : found
      return "\(path) is \(shown.debugDescription), not \(version.debugDescription)"
    }
    return nil
  }
}
