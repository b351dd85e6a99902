/// A weekly span of wall-clock time in which a promotion may start
/// (`[policy] promote_windows`): `Sat 02:00-05:00`, `daily 03:00-04:00`,
/// `Mon-Fri 22:00-01:00` (an end before the start ends on the next day).
/// Days: `daily`, `weekdays`, `weekends`, a day (`Mon` … `Sun`), a range
/// (`Mon-Fri`) or a list (`Sat,Sun`). `24:00` ends at midnight.
public struct PromoteWindow: Equatable, Sendable, CustomStringConvertible {
  public static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
  public static let grammar =
    "DAYS HH:MM-HH:MM, DAYS being daily, weekdays, weekends, a day (Mon … Sun), a range (Mon-Fri) or a list (Sat,Sun)"

  public let description: String
  /// The days the window starts on, 0 = Sunday.
  let days: Set<Int>
  let startMinute: Int
  /// 1…1440 after the start, or before it: the window ends the next day.
  let endMinute: Int

  public init?(_ text: String) {
    let words = text.split(separator: " ", omittingEmptySubsequences: true)
    guard words.count == 2, let days = Self.days(String(words[0])), let span = Self.span(String(words[1]))
    else { return nil }
    description = words.joined(separator: " ")
    self.days = days
    (startMinute, endMinute) = span
  }

  /// Whether the wall-clock minute `minuteOfDay` of weekday `weekday` is inside.
  public func contains(weekday: Int, minuteOfDay: Int) -> Bool {
    if endMinute > startMinute {
      return days.contains(weekday) && minuteOfDay >= startMinute && minuteOfDay < endMinute
    }
    return (days.contains(weekday) && minuteOfDay >= startMinute)
      || (days.contains((weekday + 6) % 7) && minuteOfDay < endMinute)
  }

  static func days(_ word: String) -> Set<Int>? {
    switch word.lowercased() {
    case "daily": return Set(0..<7)
    case "weekdays": return Set(1...5)
    case "weekends": return [0, 6]
    default: break
    }
    var days = Set<Int>()
    for part in word.split(separator: ",", omittingEmptySubsequences: false) {
      let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { day(String($0)) }
      switch ends.count {
      case 1:
        guard let only = ends[0] else { return nil }
        days.insert(only)
      case 2:
        guard let first = ends[0], let last = ends[1] else { return nil }
        var day = first
        days.insert(day)
        while day != last {
          day = (day + 1) % 7
          days.insert(day)
        }
      default: return nil
      }
    }
    return days
  }

  static func day(_ name: String) -> Int? {
    dayNames.firstIndex { $0.lowercased() == name.lowercased() }
  }

  static func span(_ word: String) -> (Int, Int)? {
    let ends = word.split(separator: "-", omittingEmptySubsequences: false)
    guard ends.count == 2, let start = minute(String(ends[0])), let end = minute(String(ends[1])),
      start < 1440, start != end
    else { return nil }
    // Ending at 00:00 is ending at midnight, the same day.
    return (start, end == 0 ? 1440 : end)
  }

  /// `HH:MM` as minutes after midnight; `24:00` is 1440.
  static func minute(_ text: String) -> Int? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
      let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<60).contains(minute),
      (0...23).contains(hour) || (hour == 24 && minute == 0)
    else { return nil }
    return hour * 60 + minute
  }
}

/// The windows of a host and the zone they are read in. No windows: a
/// promotion may start at any time.
public struct PromoteSchedule: Equatable, Sendable {
  /// `local` (the host's /etc/localtime, never the caller's TZ), `UTC`, or
  /// a zone of the host's time zone database such as `Europe/Berlin`.
  public var timeZone: String
  public var windows: [PromoteWindow]

  public init(windows: [PromoteWindow] = [], timeZone: String = "local") {
    self.windows = windows
    self.timeZone = timeZone
  }

  /// The seconds a zone is ahead of UTC at an instant.
  public typealias Offsets = (Timestamp) -> Int

  public func isOpen(at instant: Timestamp, offsets: Offsets) -> Bool {
    guard !windows.isEmpty else { return true }
    let wall = WallTime(instant, offsetSeconds: offsets(instant))
    return windows.contains { $0.contains(weekday: wall.weekday, minuteOfDay: wall.minuteOfDay) }
  }

  /// The first minute at or after `instant` in a window, within two weeks.
  /// Walking real minutes, not wall-clock ones, keeps it right across a
  /// change of daylight saving time: a window inside the skipped hour opens
  /// a week later, one inside the repeated hour opens at its first 02:00.
  public func nextOpening(after instant: Timestamp, offsets: Offsets) -> Timestamp? {
    guard !windows.isEmpty else { return instant }
    if isOpen(at: instant, offsets: offsets) { return instant }
    let minute: Int64 = 60_000
    var candidate = Timestamp(
      millisecondsSinceEpoch: (instant.millisecondsSinceEpoch / minute + 1) * minute)
    for _ in 0..<(15 * 1440) {
      if isOpen(at: candidate, offsets: offsets) { return candidate }
      candidate = candidate.adding(seconds: 60)
    }
    return nil
  }

  public var summary: String {
    windows.map(\.description).joined(separator: ", ") + " (\(timeZone == "local" ? "host time" : timeZone))"
  }
}

/// An instant as a clock on the wall reads it, given the zone's offset then.
public struct WallTime: Equatable, Sendable, CustomStringConvertible {
  public let weekday: Int
  public let minuteOfDay: Int
  let date: String
  let offsetSeconds: Int

  public init(_ instant: Timestamp, offsetSeconds: Int) {
    let local = instant.adding(seconds: Int64(offsetSeconds))
    let seconds =
      local.millisecondsSinceEpoch >= 0
      ? local.millisecondsSinceEpoch / 1000 : (local.millisecondsSinceEpoch - 999) / 1000
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    // 1970-01-01 was a Thursday.
    weekday = Int(((days + 4) % 7 + 7) % 7)
    minuteOfDay = Int((seconds - days * 86_400) / 60)
    date = String(local.iso8601.prefix(10))
    self.offsetSeconds = offsetSeconds
  }

  /// `Sat 2026-12-05 02:00 +01:00`.
  public var description: String {
    let sign = offsetSeconds < 0 ? "-" : "+"
    let offset = abs(offsetSeconds) / 60
    return
      "\(PromoteWindow.dayNames[weekday]) \(date) \(twoDigits(minuteOfDay / 60)):\(twoDigits(minuteOfDay % 60)) "
      + "\(sign)\(twoDigits(offset / 60)):\(twoDigits(offset % 60))"
  }
}

private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
