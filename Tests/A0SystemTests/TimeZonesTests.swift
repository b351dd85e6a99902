import A0Core
import A0System
import Testing

/// Zones from the host's database, never from the caller's `TZ`.
@Suite("Time zones")
struct TimeZonesTests {
  func instant(_ text: String) throws -> Timestamp { try #require(Timestamp(iso8601: text)) }

  @Test("Europe/Berlin's offsets across both changes of 2026, and the names a0 accepts")
  func berlin() throws {
    let offsets = TimeZones.offsets("Europe/Berlin")
    #expect(offsets(try instant("2026-03-29T00:59:00Z")) == 3600)
    #expect(offsets(try instant("2026-03-29T01:00:00Z")) == 7200)
    #expect(offsets(try instant("2026-10-25T00:59:00Z")) == 7200)
    #expect(offsets(try instant("2026-10-25T01:00:00Z")) == 3600)
    #expect(TimeZones.offsets("UTC")(try instant("2026-07-01T00:00:00Z")) == 0)
    for name in ["local", "UTC", "Europe/Berlin", "America/New_York"] {
      #expect(TimeZones.isKnown(name), "\(name)")
    }
    for name in [
      "", "Mars/Olympus", "../../etc/passwd", "Europe/../Europe/Berlin", "/etc/localtime", "Europe",
    ] {
      #expect(!TimeZones.isKnown(name), "\(name)")
    }
  }

  @Test("a window in Berlin on the night clocks go back opens at 02:00 the first time")
  func repeatedHour() throws {
    let schedule = PromoteSchedule(
      windows: [try #require(PromoteWindow("Sun 02:00-03:00"))], timeZone: "Europe/Berlin")
    let offsets = TimeZones.offsets("Europe/Berlin")
    let opening = schedule.nextOpening(after: try instant("2026-10-24T12:00:00Z"), offsets: offsets)
    #expect(opening == (try instant("2026-10-25T00:00:00Z")), "02:00 CEST")
    #expect(
      schedule.isOpen(at: try instant("2026-10-25T01:30:00Z"), offsets: offsets), "02:30 CET, the hour again")
    #expect(!schedule.isOpen(at: try instant("2026-10-25T02:00:00Z"), offsets: offsets), "03:00 CET")
  }
}
