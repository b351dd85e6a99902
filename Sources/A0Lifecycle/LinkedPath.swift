import A0Core
import A0System

/// One `[data] linked_paths` entry: user data kept in `.billy/shared/` and
/// linked into every release (DESIGN.md §3).
struct LinkedPath {
  /// The path inside the release, without the trailing `/`.
  let relative: String
  let isDirectory: Bool

  init(_ entry: String) {
    isDirectory = entry.hasSuffix("/")
    relative = isDirectory ? String(entry.dropLast()) : entry
  }

  /// The relative symlink from `builds/<id>/app/<relative>` to `.billy/shared/<relative>`.
  var releaseLinkTarget: String {
    String(repeating: "../", count: 3 + relative.split(separator: "/").count - 1) + "shared/" + relative
  }

  /// Creates the missing directories between `root` and `path`'s parent.
  static func makeParents(of path: String, under root: String) throws(A0Error) {
    var missing: [String] = []
    var directory = FileIO.parent(of: path)
    while directory.count > root.count && !FileIO.exists(directory) {
      missing.append(directory)
      directory = FileIO.parent(of: directory)
    }
    if !FileIO.exists(root) { try FileIO.makeDirectory(root) }
    for directory in missing.reversed() { try FileIO.makeDirectory(directory) }
  }

  /// Makes `path` as an empty directory or file when it does not exist.
  func createEmpty(at path: String) throws(A0Error) {
    guard !FileIO.exists(path) else { return }
    if isDirectory {
      try FileIO.makeDirectory(path)
    } else {
      try FileIO.writeAtomically(path, [], mode: 0o600)
    }
  }
}
