/// Which releases this host takes (`[policy]`): how far from production a
/// version may be, whether pre-releases count, and how long a release must
/// age before it is offered. Relative to production; with nothing in
/// production, every version is in reach.
public struct UpdatePolicy: Equatable, Sendable {
  public enum Track: String, CaseIterable, Sendable {
    /// Every version, older ones too (a0 marks those as downgrades).
    case any
    /// Every newer version, major releases included.
    case major
    /// Newer versions of production's major release (v1.x for v1.4).
    case minor
    /// Newer versions of production's minor release (v1.4.x for v1.4.2).
    case patch
  }

  public var track: Track
  /// nil: the caller's `--allow-prerelease` decides; false: never; true: always offered.
  public var allowPrerelease: Bool?
  /// Hours since the release's commit before it is offered; 0 turns it off.
  public var minReleaseAgeHours: Int
  /// When a promotion may start; rollbacks never wait for it.
  public var promoteSchedule: PromoteSchedule

  public init(
    track: Track = .any, allowPrerelease: Bool? = nil, minReleaseAgeHours: Int = 0,
    promoteSchedule: PromoteSchedule = PromoteSchedule()
  ) {
    self.track = track
    self.allowPrerelease = allowPrerelease
    self.minReleaseAgeHours = minReleaseAgeHours
    self.promoteSchedule = promoteSchedule
  }

  /// Whether pre-releases are in reach, given what the caller asked for.
  public func takesPrereleases(asked: Bool) -> Bool { allowPrerelease ?? asked }

  /// Why `candidate` is outside the track relative to `production`, or nil.
  public func trackRefusal(_ candidate: Version, production: Version?) -> String? {
    guard let production, track != .any else { return nil }
    guard candidate.isNewer(than: production) else {
      return
        "[policy] track = \"\(track.rawValue)\" takes only versions newer than production's \(production)"
    }
    let fixed = track == .minor ? 1 : track == .patch ? 2 : 0
    func leading(_ version: Version) -> [Int] { Array((version.numbers + [0, 0]).prefix(fixed)) }
    guard leading(candidate) == leading(production) else {
      let line = (leading(production).map(String.init) + ["x"]).joined(separator: ".")
      return "[policy] track = \"\(track.rawValue)\" takes only v\(line) from production's \(production)"
    }
    return nil
  }

  /// When a release made at `releasedAt` is old enough to be offered.
  public func eligibleAt(releasedAt: Timestamp) -> Timestamp {
    releasedAt.adding(seconds: Int64(minReleaseAgeHours) * 3600)
  }
}
