import A0Core
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Tree hashing")
struct TreeHasherTests {
  func makeTree(_ root: String) throws {
    let manager = FileManager.default
    // x, x-y, x.y, x0 and x/…: a directory sorts as its name plus "/", between "." and "0".
    for directory in [
      "app/pkg/__pycache__", "app/.git/objects", "app/.venv/bin", "app/sub/.git", "app/Ünï", "app/x/deep/er",
      "app/x0", "app/x-y.d",
    ] {
      try manager.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
    }
    let files: [String: String] = [
      "app/a.py": "print(1)\n", "app/B.txt": "upper", "app/pkg/m.py": "x = 1\n",
      "app/pkg/__pycache__/m.cpython-311.pyc": "cache", "app/.git/HEAD": "ref", "app/.venv/bin/python": "py",
      "app/sub/.git/keep": "nested .git is kept", "app/Ünï/cödé.txt": "unicode", "app/with space.txt": "s",
      "app/empty": "", "app/x-y": "1", "app/x.y": "2", "app/x/deep/er/f": "3", "app/x/a": "4",
      "app/x0/b": "5",
      "app/x-y.d/c": "6", "app/xa": "7",
    ]
    for (path, content) in files {
      try content.write(toFile: root + "/" + path, atomically: false, encoding: .utf8)
    }
    try manager.createSymbolicLink(atPath: root + "/app/link-to-file", withDestinationPath: "a.py")
    try manager.createSymbolicLink(atPath: root + "/app/usr", withDestinationPath: "../.billy/shared/usr")
    // A link target that is not UTF-8 is hashed as the bytes stored, as `readlink` prints them.
    let latin1: [CChar] = Array("caf".utf8CString.dropLast()) + [CChar(bitPattern: 0xE9), 0]
    #expect(symlink(latin1, root + "/app/latin1-link") == 0)
  }

  @Test("the tree hash equals an independent sha256sum computation")
  func matchesShell() throws {
    let scratch = ScratchDirectory()
    try makeTree(scratch.path)
    let digest = try TreeHasher.digest(root: scratch.path + "/app")
    let script = #"""
      cd "$1" && find . \( -path ./.git -o -path ./.venv -o -name __pycache__ \) -prune -o \( -type f -o -type l \) -print0 \
        | LC_ALL=C sort -z | while IFS= read -r -d '' f; do p=${f#./}; \
          if [ -L "$f" ]; then h=$(printf '%s' "$(readlink "$f")" | sha256sum); else h=$(sha256sum < "$f"); fi; \
          printf '%s  %s\n' "${h%% *}" "$p"; done | sha256sum | cut -d' ' -f1
      """#
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script, "hash", scratch.path + "/app"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == digest.treeHash)
    #expect(digest.entries.map(\.path).contains("sub/.git/keep"))
    #expect(
      !digest.entries.map(\.path).contains {
        $0.hasPrefix(".git/") || $0.hasPrefix(".venv/") || $0.contains("__pycache__")
      })
    #expect(digest.files["usr"] == Digest.sha256Hex(Array("../.billy/shared/usr".utf8)))
  }

  @Test("an edited, added or removed file changes the hash and is named")
  func differences() throws {
    let scratch = ScratchDirectory()
    try makeTree(scratch.path)
    let before = try TreeHasher.digest(root: scratch.path + "/app")
    try "print(2)\n".write(toFile: scratch.path + "/app/a.py", atomically: false, encoding: .utf8)
    try "new".write(toFile: scratch.path + "/app/new.py", atomically: false, encoding: .utf8)
    try FileManager.default.removeItem(atPath: scratch.path + "/app/B.txt")
    let after = try TreeHasher.digest(root: scratch.path + "/app")
    #expect(after.treeHash != before.treeHash)
    let diff = after.differences(from: before.files)
    #expect(diff.changed == ["a.py"])
    #expect(diff.added == ["new.py"])
    #expect(diff.removed == ["B.txt"])
  }
}
