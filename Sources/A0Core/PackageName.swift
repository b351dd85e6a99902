/// Python package names as the index compares them (PEP 503): runs of
/// `-`, `_` and `.` are one `-`, letters are lower case.
public enum PackageName {
  public static func normalized(_ name: String) -> String {
    var output = ""
    var pendingSeparator = false
    for scalar in name.unicodeScalars {
      if scalar == "-" || scalar == "_" || scalar == "." {
        pendingSeparator = true
        continue
      }
      if pendingSeparator && !output.isEmpty { output += "-" }
      pendingSeparator = false
      output.unicodeScalars.append(contentsOf: String(scalar).lowercased().unicodeScalars)
    }
    return output
  }

  /// A distribution name (PEP 508): ASCII letters and digits, with `-`, `_`
  /// and `.` inside. Anything else could be read as an installer option.
  public static func isValid(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, let last = name.unicodeScalars.last,
      isAlphanumeric(first), isAlphanumeric(last), name.utf8.count <= 200
    else { return false }
    return name.unicodeScalars.allSatisfy { isAlphanumeric($0) || "-_.".unicodeScalars.contains($0) }
  }

  private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
  }
}

/// What a0 knows about the upstream it is named for.
public enum AgentZero {
  /// Where Agent Zero v1.x writes at run time: `usr/` (settings, `.env`,
  /// secrets, chats, memory, knowledge, scheduler, projects), `tmp/`
  /// (caches, upload staging, the WhatsApp session) and `logs/` (a log file
  /// per process, created at start). Its legacy paths (`.env`, `memory/`,
  /// `knowledge/custom/` at the top) must not be linked: its start-up
  /// migration renames them into `usr/`, and a renamed link dangles.
  public static let linkedPaths = ["usr/", "tmp/", "logs/"]

  /// Dependencies of Agent Zero v1.x published only as source
  /// distributions: with wheels required for everything else, the rest of
  /// its requirements resolve (and to versions that have wheels).
  public static let sourceBuilds = [
    "crontab", "feedfinder2", "flask-basicauth", "jieba3k", "langdetect", "openai-whisper", "tinysegmenter",
  ]
}
