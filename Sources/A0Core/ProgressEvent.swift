/// What a person watching an operation sees, in order: a step beginning,
/// what it is doing now, and its end. Every view of progress (the live
/// terminal line, the plain lines of a log) is made of these and nothing else.
public enum ProgressEvent: Equatable, Sendable {
  case began(step: String, detail: String)
  case doing(step: String, detail: String)
  case ended(step: String, outcome: StepOutcome, milliseconds: Int64, detail: String)
}

/// How a step ended.
public enum StepOutcome: String, Equatable, Sendable {
  case ok
  /// Done, with something a person should read (`pip_check = "warn"`).
  case warning
  case failed
  case skipped
}

/// The text of progress: one line per event, never wider than the terminal
/// and never holding a control character of its own, whatever git, the
/// installer or a config value put in a detail.
public enum ProgressText {
  static let spinner: [Character] = ["-", "\\", "|", "/"]

  /// A finished step, as it stays on the terminal and as a log line ends it:
  /// `ok      dependencies   85.2 s  installed 212 packages (uv)`.
  public static func finished(
    _ step: String, _ outcome: StepOutcome, milliseconds: Int64, detail: String, columns: Int? = nil
  ) -> String {
    let mark = outcome == .failed ? "FAILED" : outcome.rawValue
    return fit(
      padded(mark, 8) + padded(clean(step), 14) + " " + padded(seconds(milliseconds), 8) + clean(detail),
      columns)
  }

  /// The live line of the step running: spinner, step, time so far, what it does.
  public static func live(_ step: String, milliseconds: Int64, detail: String, tick: Int, columns: Int)
    -> String
  {
    let spin = spinner[tick % spinner.count]
    return fit(
      padded("\(spin)", 8) + padded(clean(step), 14) + " " + padded(seconds(milliseconds), 8) + clean(detail),
      columns)
  }

  /// A log's line for a step beginning (no terminal: no spinner, no redraw).
  public static func started(_ step: String, detail: String) -> String {
    "a0: " + clean(step) + (detail.isEmpty ? "" : ": " + clean(detail))
  }

  /// A hash under way: `1,234 of 5,678 files, 45.1 MB` (`5,678+` while
  /// the tree is still being listed).
  public static func hashing(hashed: Int, listed: Int, listingComplete: Bool, bytes: Int64) -> String {
    "\(grouped(hashed)) of \(grouped(listed))\(listingComplete ? "" : "+") files, \(size(bytes))"
  }

  static func grouped(_ number: Int) -> String {
    let digits = String(number)
    var text = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
      text.append(digit)
    }
    return text
  }

  /// `812 kB`, `45.1 MB`, `6.9 GB`.
  static func size(_ bytes: Int64) -> String {
    if bytes < 1_000_000 { return "\(bytes / 1000) kB" }
    let (unit, scale): (String, Int64) = bytes < 1_000_000_000 ? ("MB", 1_000_000) : ("GB", 1_000_000_000)
    let tenths = bytes * 10 / scale
    return "\(tenths / 10).\(tenths % 10) \(unit)"
  }

  /// `0.4 s`, `85.2 s`, `3 min 05 s`.
  public static func seconds(_ milliseconds: Int64) -> String {
    let tenths = max(0, milliseconds) / 100
    guard tenths >= 1800 else { return "\(tenths / 10).\(tenths % 10) s" }
    let whole = tenths / 10
    let rest = whole % 60
    return "\(whole / 60) min \(rest < 10 ? "0" : "")\(rest) s"
  }

  /// Control characters (escape sequences, newlines, tabs) shown as `?`:
  /// a detail is one line of plain text, whatever it came from.
  public static func clean(_ text: String) -> String {
    String(
      String.UnicodeScalarView(
        text.unicodeScalars.map { scalar in
          scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar
        }))
  }

  /// At most `columns - 1` columns, so the cursor never wraps to a new row
  /// (a wrapped live line cannot be redrawn in place); nil: as it is.
  static func fit(_ line: String, _ columns: Int?) -> String {
    let trimmed = String(line.reversed().drop(while: { $0 == " " }).reversed())
    guard let columns else { return trimmed }
    let room = max(columns - 1, 1)
    guard width(trimmed) > room else { return trimmed }
    var kept = ""
    var used = 0
    for character in trimmed {
      let needed = width(character)
      guard used + needed <= room - 1 else { break }
      kept.append(character)
      used += needed
    }
    return kept + "…"
  }

  /// The columns a terminal gives `text`: two for the wide scripts and
  /// emoji, none for combining marks.
  public static func width(_ text: String) -> Int { text.reduce(0) { $0 + width($1) } }

  static func width(_ character: Character) -> Int {
    guard let scalar = character.unicodeScalars.first?.value else { return 0 }
    switch scalar {
    case 0x300...0x36F, 0x200B...0x200F: return 0
    case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
      0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
      return 2
    default: return 1
    }
  }

  static func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }
}

extension ProgressEvent {
  /// One line of the progress file.
  public var json: JSONValue {
    switch self {
    case .began(let step, let detail):
      ["event": "began", "step": .string(step), "detail": .string(detail)]
    case .doing(let step, let detail):
      ["event": "doing", "step": .string(step), "detail": .string(detail)]
    case .ended(let step, let outcome, let milliseconds, let detail):
      [
        "event": "ended", "step": .string(step), "outcome": .string(outcome.rawValue),
        "duration_ms": .int(milliseconds), "detail": .string(detail),
      ]
    }
  }

  public init?(json: JSONValue) {
    guard let step = json["step"]?.stringValue else { return nil }
    let detail = json["detail"]?.stringValue ?? ""
    switch json["event"]?.stringValue {
    case "began": self = .began(step: step, detail: detail)
    case "doing": self = .doing(step: step, detail: detail)
    case "ended":
      guard let outcome = json["outcome"]?.stringValue.flatMap(StepOutcome.init(rawValue:)),
        let milliseconds = json["duration_ms"]?.intValue
      else { return nil }
      self = .ended(step: step, outcome: outcome, milliseconds: milliseconds, detail: detail)
    default: return nil
    }
  }
}
