extension StringProtocol {
  /// The text before and after the first occurrence of `marker`, or nil.
  func splitOnce(at marker: String) -> (before: SubSequence, after: SubSequence)? {
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
}
