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

  @Test(
    "a copy made while hashing has the source's digest, bytes, modes and links, and nothing the digest skips")
  func copyWhileHashing() throws {
    let scratch = ScratchDirectory()
    try makeTree(scratch.path)
    let source = scratch.path + "/app"
    #expect(chmod(source + "/a.py", 0o751) == 0)
    #expect(chmod(source + "/B.txt", 0o666) == 0, "bits a usual umask removes")
    #expect(chmod(source + "/x/deep", 0o555) == 0)
    defer { chmod(source + "/x/deep", 0o755) }
    #expect(mkfifo(source + "/fifo", 0o644) == 0)
    let large = [UInt8]((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    #expect(FileManager.default.createFile(atPath: source + "/large.bin", contents: Data(large)))

    let copy = scratch.path + "/copy"
    let digest = try TreeHasher.copy(from: source, to: copy)
    defer { chmod(copy + "/x/deep", 0o755) }
    #expect(digest == (try TreeHasher.digest(root: source, excludingTopLevel: [])))
    #expect(digest == (try TreeHasher.digest(root: copy, excludingTopLevel: [])))
    #expect(digest.files[".venv/bin/python"] != nil, "nothing at the top is left out of a copy")
    #expect(FileManager.default.contents(atPath: copy + "/large.bin") == Data(large))
    #expect(FileManager.default.contents(atPath: copy + "/.git/HEAD") == Data("ref".utf8))
    var info = stat()
    #expect(stat(copy + "/a.py", &info) == 0 && info.st_mode & 0o7777 == 0o751)
    #expect(stat(copy + "/B.txt", &info) == 0 && info.st_mode & 0o7777 == 0o666)
    #expect(stat(copy + "/x/deep", &info) == 0 && info.st_mode & 0o7777 == 0o555)
    #expect(FileIO.readLink(copy + "/usr") == "../.billy/shared/usr")
    #expect(!FileIO.exists(copy + "/pkg/__pycache__"))
    #expect(!FileIO.exists(copy + "/fifo"))
    var sourceInfo = stat()
    #expect(stat(source + "/B.txt", &sourceInfo) == 0 && stat(copy + "/B.txt", &info) == 0)
    #expect(sourceInfo.st_ino != info.st_ino, "the copy shares no inode with the source")
  }

  @Test("a copy never writes into or removes an existing destination, and a failed copy leaves nothing")
  func copyRefusals() throws {
    let scratch = ScratchDirectory()
    try makeTree(scratch.path)
    let existing = scratch.path + "/existing"
    try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
    try "mine".write(toFile: existing + "/keep", atomically: false, encoding: .utf8)
    #expect(throws: A0Error.self) { try TreeHasher.copy(from: scratch.path + "/app", to: existing) }
    #expect(FileManager.default.contents(atPath: existing + "/keep") == Data("mine".utf8))

    // A file that cannot be created half-way through (its path in the copy
    // is longer than PATH_MAX): the error is thrown and the partial copy is gone.
    let deep = scratch.path + "/app/" + String(repeating: "p", count: 250)
    try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: false)
    try "x".write(toFile: deep + "/" + String(repeating: "q", count: 200), atomically: false, encoding: .utf8)
    var parent = scratch.path
    while parent.utf8.count < 3_700 {
      parent += "/" + String(repeating: "d", count: 250)
      #expect(mkdir(parent, 0o755) == 0)
    }
    #expect(throws: A0Error.self) { try TreeHasher.copy(from: scratch.path + "/app", to: parent + "/copy") }
    #expect(!FileIO.exists(parent + "/copy"))
    #expect(throws: A0Error.self) {
      try TreeHasher.copy(from: scratch.path + "/missing", to: scratch.path + "/copy2")
    }
    #expect(!FileIO.exists(scratch.path + "/copy2"))
  }
}
