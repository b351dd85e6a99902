import A0Core
import Testing

/// `[policy] promote_windows`: the grammar, membership on the wall clock,
/// and the next opening across midnight and a change of daylight saving time.
@Suite("Promote windows")
struct PromoteWindowTests {
  /// 2026-12-05T00:00:00Z, a Saturday.
  let saturday = Timestamp(millisecondsSinceEpoch: 1_796_428_800_000)

  func at(_ base: Timestamp, hours: Double) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: base.millisecondsSinceEpoch + Int64(hours * 3_600_000))
  }

  @Test(
    "what a window may say, and what it may not",
    arguments: [
      ("Sat 02:00-05:00", true), ("daily 03:00-04:00", true), ("weekdays 22:00-01:00", true),
      ("weekends 00:00-24:00", true), ("Mon-Fri 09:30-10:00", true), ("Sat,Sun 23:00-00:00", true),
      ("fri-mon 01:00-02:00", true), ("Sat 2am-5am", false), ("Sat 02:00", false),
      ("Someday 02:00-03:00", false),
      ("Sat 02:00-02:00", false), ("Sat 24:00-01:00", false), ("Sat 25:00-26:00", false), ("", false),
      ("Sat 02:00-05:00 extra", false), ("Sat 2:00-5:00", false), ("Mon- 01:00-02:00", false),
    ])
  func grammar(text: String, valid: Bool) {
    #expect((PromoteWindow(text) != nil) == valid, "\(text)")
  }

  @Test("membership by weekday and minute, a window past midnight belonging to the day it starts")
  func membership() throws {
    let night = try #require(PromoteWindow("Fri 22:00-01:00"))
    #expect(night.contains(weekday: 5, minuteOfDay: 22 * 60))
    #expect(night.contains(weekday: 6, minuteOfDay: 30), "Saturday 00:30 is Friday's night")
    #expect(!night.contains(weekday: 6, minuteOfDay: 60), "the end is outside")
    #expect(!night.contains(weekday: 5, minuteOfDay: 30), "Friday 00:30 is Thursday's night")
    let range = try #require(PromoteWindow("Fri-Mon 01:00-02:00"))
    #expect([5, 6, 0, 1].allSatisfy { range.contains(weekday: $0, minuteOfDay: 90) })
    #expect(![2, 3, 4].contains { range.contains(weekday: $0, minuteOfDay: 90) })
  }

  @Test("closed now, the next opening is the window's first minute, in the zone's wall time")
  func nextOpening() throws {
    let utc = PromoteSchedule(windows: [try #require(PromoteWindow("Sat 02:00-05:00"))], timeZone: "UTC")
    let noon = at(saturday, hours: 12)
    #expect(!utc.isOpen(at: noon) { _ in 0 })
    #expect(utc.nextOpening(after: noon) { _ in 0 } == at(saturday, hours: 7 * 24 + 2))
    #expect(utc.isOpen(at: at(saturday, hours: 3)) { _ in 0 })
    #expect(utc.nextOpening(after: at(saturday, hours: 3)) { _ in 0 } == at(saturday, hours: 3))
    // One hour ahead of UTC, 02:00 on the wall is 01:00 UTC.
    #expect(utc.nextOpening(after: saturday) { _ in 3600 } == at(saturday, hours: 1))
    #expect(
      WallTime(at(saturday, hours: 1), offsetSeconds: 3600).description == "Sat 2026-12-05 02:00 +01:00")
    #expect(PromoteSchedule().isOpen(at: noon) { _ in 0 }, "no windows: always open")
  }

  @Test(
    "a window inside the hour a change to summer time skips does not open that day; one across it opens late")
  func skippedHour() throws {
    // A zone one hour ahead that moves to two hours ahead at 01:00 UTC on
    // Sunday 2026-12-06: the wall clock jumps from 02:00 to 03:00.
    let change = at(saturday, hours: 24 + 1)
    let offsets: PromoteSchedule.Offsets = { $0 < change ? 3600 : 7200 }
    let inside = PromoteSchedule(windows: [try #require(PromoteWindow("Sun 02:15-02:45"))])
    #expect(
      inside.nextOpening(after: saturday, offsets: offsets) == at(saturday, hours: 8 * 24 + 0.25),
      "a week later, 02:15 at +02:00")
    let across = PromoteSchedule(windows: [try #require(PromoteWindow("Sun 02:30-03:30"))])
    #expect(
      across.nextOpening(after: saturday, offsets: offsets) == change,
      "03:00 at +02:00, the first minute there is")
  }
}
