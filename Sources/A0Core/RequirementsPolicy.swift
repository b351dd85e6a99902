/// What a release's requirements file may ask of the installer.
///
/// The file comes from upstream, and the installer runs as the user that
/// owns `.billy/`. So the file may name packages and versions (with hashes
/// and markers), and include other requirement or constraint files inside
/// the release; it may not choose where packages come from (index, find
/// links, trusted hosts, URLs, VCS, local paths), install in editable mode or
/// pass build options. Packages are installed from wheels only
/// (`--only-binary :all:`) unless the operator sets
/// `python.allow_source_builds`, because building from source runs
/// upstream code at install time.
public enum RequirementsPolicy {
  public struct Violation: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var text: String
    public var reason: String
    public var description: String { "line \(line) `\(text)`: \(reason)" }
  }

  public struct Review: Equatable, Sendable {
    public var violations: [Violation]
    /// Other requirement or constraint files the file includes, relative to its directory.
    public var includes: [String]
  }

  /// Options that only shape resolution of the named packages.
  static let harmlessOptions: Set<String> = ["--pre", "--prefer-binary", "--require-hashes", "--only-binary"]
  static let includeOptions: Set<String> = ["-r", "--requirement", "-c", "--constraint"]

  public static func review(_ text: String) -> Review {
    var review = Review(violations: [], includes: [])
    var lineNumber = 0
    var logical = ""
    var firstLine = 0
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      var line = String(rawLine)
      if line.hasSuffix("\r") { line.removeLast() }
      if logical.isEmpty { firstLine = lineNumber }
      // pip joins a line ending in a backslash with the next one.
      if line.hasSuffix("\\") {
        logical += line.dropLast() + " "
        continue
      }
      logical += line
      reviewLine(logical, number: firstLine, into: &review)
      logical = ""
    }
    if !logical.isEmpty { reviewLine(logical, number: firstLine, into: &review) }
    return review
  }

  private static func reviewLine(_ raw: String, number: Int, into review: inout Review) {
    // A comment starts at `#` at the line start or after whitespace.
    var text = raw
    if let hash = commentStart(raw) { text = String(raw[..<hash]) }
    text = text.trimmingSpaces
    guard !text.isEmpty else { return }
    func refuse(_ reason: String) {
      review.violations.append(Violation(line: number, text: text, reason: reason))
    }
    let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard let first = words.first else { return }
    if first.hasPrefix("-") {
      let (option, inlineValue) = splitOption(first)
      if includeOptions.contains(option) {
        let value = inlineValue ?? (words.count > 1 ? words[1] : "")
        guard isInsideRelease(value) else {
          refuse("an included file must be a relative path inside the release")
          return
        }
        review.includes.append(value)
      } else if !harmlessOptions.contains(option) {
        refuse("the option \(option) would change where or how packages are installed; a0 decides that")
      }
      return
    }
    // A requirement: `name[extras] specifiers ; markers`, then per-requirement options.
    let requirement = text.split(separator: ";", maxSplits: 1)[0]
    if requirement.contains("://") || requirement.contains("@") || first.hasPrefix(".")
      || first.hasPrefix("/")
      || first.hasPrefix("~") || first.contains("/") || first.contains("\\")
    {
      refuse("a direct reference (URL, VCS or path) bypasses the index and the wheelhouse")
      return
    }
    for word in words.dropFirst() where word.hasPrefix("-") {
      let (option, _) = splitOption(word)
      if option != "--hash" {
        refuse("the per-requirement option \(option) passes build options to the installer")
        return
      }
    }
    let name = first.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    if name.isEmpty || !(name.first?.isLetter == true || name.first?.isNumber == true) {
      refuse("not a package name")
    }
  }

  private static func commentStart(_ line: String) -> String.Index? {
    var previous: Character = " "
    for index in line.indices {
      if line[index] == "#" && (previous == " " || previous == "\t") { return index }
      previous = line[index]
    }
    return nil
  }

  private static func splitOption(_ word: String) -> (String, String?) {
    guard word.hasPrefix("--"), let equals = word.firstIndex(of: "=") else {
      // `-rfile` is pip's short form with the value attached.
      if !word.hasPrefix("--"), word.count > 2 {
        return (String(word.prefix(2)), String(word.dropFirst(2)))
      }
      return (word, nil)
    }
    return (String(word[..<equals]), String(word[word.index(after: equals)...]))
  }

  private static func isInsideRelease(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("://"), !path.hasPrefix("~") else {
      return false
    }
    var depth = 0
    for part in path.split(separator: "/") {
      if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
      if depth < 0 { return false }
    }
    return true
  }
}
