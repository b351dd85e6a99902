/// The few string operations a0 needs, in one place: the binary links no
/// Foundation, whose versions of these would start it slower.
extension StringProtocol {
  /// The text before and after the first occurrence of `marker`, or nil.
  public func splitOnce(at marker: String) -> (before: SubSequence, after: SubSequence)? {
    let needle = Array(marker.utf8)
    guard let first = needle.first else { return nil }
    var index = startIndex
    while index < endIndex {
      if utf8[index] == first, self[index...].utf8.starts(with: needle) {
        let end = utf8.index(index, offsetBy: needle.count)
        return (self[..<index], self[end...])
      }
      index = utf8.index(after: index)
    }
    return nil
  }

  /// Without leading and trailing whitespace, line breaks included.
  public var trimmingWhitespace: String { trimming(where: \.isWhitespace, \.isWhitespace) }

  /// Without leading spaces and tabs, nor trailing spaces, tabs and a
  /// carriage return: one line of a file or a header, its line break gone.
  public var trimmingSpaces: String {
    trimming(where: { $0 == " " || $0 == "\t" }, { $0 == " " || $0 == "\t" || $0 == "\r" })
  }

  private func trimming(where leading: (Character) -> Bool, _ trailing: (Character) -> Bool) -> String {
    var text = Substring(self)
    while let first = text.first, leading(first) { text.removeFirst() }
    while let last = text.last, trailing(last) { text.removeLast() }
    return String(text)
  }

  /// Every occurrence of `target` replaced, left to right.
  public func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return String(self) }
    var result = ""
    var rest = Substring(self)
    while let (before, after) = rest.splitOnce(at: target) {
      result += before
      result += replacement
      rest = after
    }
    return result + rest
  }
}
