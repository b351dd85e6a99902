import A0Core

/// `[policy] promote_windows` at the moment a promotion would start. Only
/// the promotion of an upgrade waits: a rollback restores what ran before
/// and never waits for a window, nor does the automatic one.
public struct PromotionWindow {
  let machine: Machine

  public init(machine: Machine) { self.machine = machine }

  var schedule: PromoteSchedule { machine.config.policy.promoteSchedule }

  /// A promotion held by closed windows.
  public struct Wait: Sendable {
    /// The windows and their zone, as config.toml gives them.
    public let windows: String
    /// When the next window opens; nil when none does within two weeks.
    public let opensAt: Timestamp?
    /// `opensAt` on the windows' wall clock.
    public let opensAtWall: String?
  }

  /// Whether the active operation's promotion is held now; nil when it may start.
  public func wait() -> Wait? {
    guard !schedule.windows.isEmpty, machine.state.activeOperation?.type != .rollback else { return nil }
    let offsets = machine.world.timeZone(schedule.timeZone)
    let now = machine.clock.now()
    guard !schedule.isOpen(at: now, offsets: offsets) else { return nil }
    let opening = schedule.nextOpening(after: now, offsets: offsets)
    return Wait(
      windows: schedule.summary, opensAt: opening,
      opensAtWall: opening.map { WallTime($0, offsetSeconds: offsets($0)).description })
  }

  /// Throws exit 2 when the promotion must wait, unless a human overrides;
  /// returns the wait overridden, for the journal.
  @discardableResult
  public func require(overridden: Bool) throws(A0Error) -> Wait? {
    guard let held = wait() else { return nil }
    if overridden { return held }
    let version = machine.state.activeOperation?.targetVersion ?? "the validated artifact"
    throw A0Error(
      .wrongState, "the promotion of \(version) waits for its window",
      why: "[policy] promote_windows = \(held.windows) is closed now",
      next: (held.opensAtWall.map { "It may be promoted from \($0) with `a0 promote`" }
        ?? "No window opens within two weeks")
        + "; it stays validated in VALIDATING. A human may promote at once with `a0 promote --now`")
  }
}
