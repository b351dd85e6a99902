import A0Core
import Testing

@Suite("Timestamps")
struct TimestampTests {
  @Test(
    "known instants format as ISO 8601",
    arguments: [
      (Int64(0), "1970-01-01T00:00:00.000Z"), (951_782_400_123, "2000-02-29T00:00:00.123Z"),
      (1_795_597_280_005, "2026-11-25T09:01:20.005Z"), (-1, "1969-12-31T23:59:59.999Z"),
    ])
  func format(milliseconds: Int64, text: String) {
    #expect(Timestamp(millisecondsSinceEpoch: milliseconds).iso8601 == text)
    #expect(Timestamp(iso8601: text)?.millisecondsSinceEpoch == milliseconds)
  }

  @Test(
    "fractions of any length parse",
    arguments: [("2026-01-01T00:00:00Z", 0), ("2026-01-01T00:00:00.5Z", 500)])
  func fractions(text: String, millis: Int64) {
    #expect(Timestamp(iso8601: text)!.millisecondsSinceEpoch % 1000 == millis)
  }

  @Test(
    "malformed timestamps are refused",
    arguments: [
      "", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+01:00",
      "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z",
    ])
  func malformed(text: String) {
    #expect(Timestamp(iso8601: text) == nil)
  }

  @Test("a compact form is safe in file names")
  func compact() {
    #expect(Timestamp(millisecondsSinceEpoch: 0).compact == "19700101T000000.000Z")
  }
}
