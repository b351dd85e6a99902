import A0Core
import A0System

/// `[policy]` applied to the upstream's releases: what `check-updates`
/// offers and what `request-upgrade` accepts.
public struct ReleasePolicy {
  /// Why a release is not offered now.
  public enum Hold: Equatable, Sendable {
    case prerelease(String)
    case outsideTrack(String)
    case tooYoung(eligibleAt: Timestamp, reason: String)

    public var reason: String {
      switch self {
      case .prerelease(let reason), .outsideTrack(let reason), .tooYoung(_, let reason): reason
      }
    }
  }

  let machine: Machine
  let upstream: Upstream
  var policy: UpdatePolicy { machine.config.policy }

  public init(machine: Machine, upstream: Upstream) {
    self.machine = machine
    self.upstream = upstream
  }

  /// Nil when `release` may be offered now, relative to `production`.
  /// The release's age is read from upstream only when it is the last question.
  public func hold(_ release: UpstreamRelease, production: Version?, askedPrerelease: Bool) throws(A0Error)
    -> Hold?
  {
    if release.version.isPrerelease && !policy.takesPrereleases(asked: askedPrerelease) {
      return .prerelease(
        policy.allowPrerelease == false
          ? "[policy] allow_prerelease = false" : "a pre-release; pass --allow-prerelease to take it")
    }
    if let refusal = policy.trackRefusal(release.version, production: production) {
      return .outsideTrack(refusal)
    }
    guard policy.minReleaseAgeHours > 0 else { return nil }
    let released = try upstream.git.releaseTime(
      url: machine.config.upstream.url, tag: release.version.tag, commit: release.commitSHA,
      cache: machine.paths.cache + "/release-times.git")
    let eligible = policy.eligibleAt(releasedAt: released)
    guard machine.clock.now() < eligible else { return nil }
    return .tooYoung(
      eligibleAt: eligible,
      reason:
        "not yet: [policy] min_release_age_hours = \(policy.minReleaseAgeHours) makes it eligible at \(eligible.iso8601)"
    )
  }
}
