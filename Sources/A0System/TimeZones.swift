import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// UTC offsets from the host's time zone database, through the C library.
/// The zone comes from config.toml, never from the caller's `TZ`: a caller
/// able to move the clock's zone could open a maintenance window at will.
public enum TimeZones {
  public static let database = "/usr/share/zoneinfo"

  /// Whether `name` is `local`, `UTC` or a zone file of the database
  /// (letters, digits, `_`, `+`, `-`, `/`; no `..`).
  public static func isKnown(_ name: String) -> Bool {
    if name == "local" || name == "UTC" { return true }
    let allowed = name.unicodeScalars.allSatisfy {
      $0.isASCII
        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_+-/".unicodeScalars.contains($0))
    }
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    guard allowed, !name.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." }) else {
      return false
    }
    let file = database + "/" + name
    return FileIO.exists(file) && !FileIO.isDirectory(file)
  }

  /// The offsets of zone `name` (see `isKnown`). The C library reads the
  /// zone from this process's `TZ`, which a0 sets here and never passes on:
  /// every child gets an environment of its own.
  public static func offsets(_ name: String) -> @Sendable (Timestamp) -> Int {
    if name == "UTC" { return { _ in 0 } }
    let file = name == "local" ? "/etc/localtime" : database + "/" + name
    setenv("TZ", ":" + file, 1)
    tzset()
    return { instant in
      var seconds = time_t(instant.millisecondsSinceEpoch / 1000)
      var broken = tm()
      guard localtime_r(&seconds, &broken) != nil else { return 0 }
      return broken.tm_gmtoff
    }
  }
}
