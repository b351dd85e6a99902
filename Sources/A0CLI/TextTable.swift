/// Key–value rows aligned on their colons, for the text renderers.
enum TextTable {
  static func rows(_ pairs: [(String, String)]) -> String {
    let width = (pairs.map { $0.0.count }.max() ?? 0) + 2
    return pairs.map { key, value in
      key + ":" + String(repeating: " ", count: max(1, width - key.count - 1)) + value
    }.joined(separator: "\n")
  }
}
