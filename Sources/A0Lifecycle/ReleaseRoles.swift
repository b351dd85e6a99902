import A0Core
import A0System

/// Which builds production, known-good and the previous production use;
/// none of them may ever be deleted.
public struct ReleaseRoles: Sendable {
  public var production: String?
  public var knownGood: String?
  public var previous: String?

  public var protected: Set<String> { Set([production, knownGood, previous].compactMap { $0 }) }

  public static func read(_ paths: HomePaths) -> ReleaseRoles {
    let version = (try? FileIO.read(paths.versionFile)).flatMap { $0 }.flatMap { try? JSONValue.parse($0) }
    let knownGood = (try? FileIO.read(paths.knownGood)).flatMap { $0 }.flatMap { try? JSONValue.parse($0) }
    return ReleaseRoles(
      production: version?["build_id"]?.stringValue, knownGood: knownGood?["build_id"]?.stringValue,
      previous: version?["previous_build_id"]?.stringValue)
  }
}
