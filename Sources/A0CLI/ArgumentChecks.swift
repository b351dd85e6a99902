import A0Core
import ArgumentParser

/// The one positional value of a command that takes a version. Collected
/// with `.allUnrecognized`, so that hostile values shaped like options
/// (`--upload-pack=x`) are judged as what they claim to be — a version —
/// and refused as bad input (65) like any other bad version.
func singleValue(_ raw: [String], name: String) throws -> String {
  let values = raw.filter { $0 != "--" }
  guard values.count == 1 else {
    throw A0Error(
      .usage, values.isEmpty ? "missing \(name)" : "expected one \(name), got \(values.count) values",
      next: "Pass exactly one \(name)")
  }
  return values[0]
}

/// Parses a version argument before anything else runs (exit 65).
func parseVersion(_ text: String) throws -> Version {
  guard let version = Version(tag: text) else {
    let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
    throw A0Error(
      .badInput,
      "\"\(shown.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "?" }.joined())\" is not a version",
      why: "a version is a release tag like v1.2.3, v0.9.8.1 or v0.9.8-pre",
      next: "Run `a0 check-updates` to see the versions upstream offers")
  }
  return version
}

/// A `--reason` that says something: it is journaled as the human's why.
func requireReason(_ reason: String, saying what: String) throws {
  guard !reason.trimmingWhitespace.isEmpty else {
    throw ValidationError("--reason must say why \(what)")
  }
}
