import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct TreeHash: Operation {
  static let configuration = CommandConfiguration(
    commandName: "tree-hash",
    abstract: "Print the tree hash of a directory, as manifests define it (no home needed).",
    discussion: """
      Anyone may run it; it reads only DIR. SHA-256 over `<hex>  <path>` lines of every regular file
      and symlink, paths ordered bytewise, top-level .git/ and .venv/ and every __pycache__/ excluded
      (see the README for a shell command that gives the same result).

        $ a0 tree-hash /srv/agent-zero/agent-zero/
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The directory.")
  var directory: String

  @Flag(help: "Also list every file with its hash.")
  var files = false

  func perform(_ _: CommandContext) throws -> any CommandOutput {
    let path = HomePaths.absolutePath(directory, relativeTo: FileIO.currentDirectory())
    guard FileIO.isDirectory(path) else { throw A0Error(.badInput, "\(path) is not a directory") }
    return TreeHashOutput(digest: try TreeHasher.digest(root: path), listFiles: files)
  }
}

struct TreeHashOutput: CommandOutput {
  let digest: TreeDigest
  let listFiles: Bool

  var json: JSONValue {
    [
      "tree_hash": .string(digest.treeHash), "files": .int(digest.entries.count),
      "entries": listFiles ? .object(digest.files.mapValues(JSONValue.string)) : .null,
    ]
  }

  var text: String {
    listFiles
      ? String(decoding: TreeDigest.listing(digest.entries), as: UTF8.self) + digest.treeHash
      : digest.treeHash
  }
}
