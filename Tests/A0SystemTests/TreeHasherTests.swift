import A0Core
import A0TestRandom
import A0TestSupport
import Crypto
import Foundation
import Testing

@testable import A0System

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

  @Test("a tally counts every entry hashed and its bytes, with both engines, adding up over two trees")
  func tally() throws {
    let scratch = ScratchDirectory()
    try makeTree(scratch.path)
    var regularBytes: Int64 = 0
    let plain = try TreeHasher.digest(root: scratch.path + "/app")
    for entry in plain.entries {
      let path = scratch.path + "/app/" + entry.path
      var status = stat()
      if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG {
        regularBytes += Int64(status.st_size)
      }
    }
    for engine in [TreeHasher.Engine.interleaved, .portable]
    where engine != .interleaved || FileDigestStream.isAvailable {
      let tally = TreeHasher.Tally()
      _ = try TreeHasher.run(
        root: scratch.path + "/app", exclusions: [".git", ".venv"], bytecode: false, copy: nil,
        engine: engine,
        tally: tally)
      let expected = TreeHasher.Tally.Counts(
        hashed: plain.entries.count, bytes: regularBytes, listed: plain.entries.count, listingComplete: true)
      #expect(tally.now == expected, "\(engine)")
      _ = try TreeHasher.digest(root: scratch.path + "/app", tally: tally)
      #expect(tally.now.hashed == 2 * plain.entries.count && tally.now.bytes == 2 * regularBytes)
    }
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
    "a copy made while hashing has the source's digest, bytes, modes, times and links, bytecode included, and no special file"
  )
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

    // What Python or an import hook writes into a cache at run time is
    // neither hashed nor copied: optimised bytecode, bytecode without a source.
    for stray in ["m.cpython-311.opt-1.pyc", "m.cpython-311.opt-beartype0v23v1.pyc", "gone.cpython-311.pyc"] {
      #expect(
        FileManager.default.createFile(atPath: source + "/pkg/__pycache__/" + stray, contents: Data("x".utf8))
      )
    }
    #expect(mkdir(source + "/pkg/__pycache__/nested", 0o755) == 0)
    // Bytecode is valid only beside a source with the time it records.
    var past = [timespec(tv_sec: 1_000_000_000, tv_nsec: 5), timespec(tv_sec: 1_500_000_000, tv_nsec: 7)]
    #expect(utimensat(AT_FDCWD, source + "/pkg/m.py", &past, 0) == 0)

    let copy = scratch.path + "/copy"
    let digest = try TreeHasher.copy(from: source, to: copy)
    defer { chmod(copy + "/x/deep", 0o755) }
    #expect(digest == (try TreeHasher.digest(root: source, excludingTopLevel: [], includingBytecode: true)))
    #expect(digest == (try TreeHasher.digest(root: copy, excludingTopLevel: [], includingBytecode: true)))
    #expect(digest != (try TreeHasher.digest(root: copy, excludingTopLevel: [])), "bytecode is hashed")
    #expect(
      FileManager.default.contents(atPath: copy + "/pkg/__pycache__/m.cpython-311.pyc") == Data("cache".utf8))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: copy + "/pkg/__pycache__") == ["m.cpython-311.pyc"])
    #expect(digest.files.keys.filter { $0.contains("__pycache__") } == ["pkg/__pycache__/m.cpython-311.pyc"])
    #expect(digest.files[".venv/bin/python"] != nil, "nothing at the top is left out of a copy")
    #expect(FileManager.default.contents(atPath: copy + "/large.bin") == Data(large))
    #expect(FileManager.default.contents(atPath: copy + "/.git/HEAD") == Data("ref".utf8))
    var info = stat()
    #expect(stat(copy + "/a.py", &info) == 0 && info.st_mode & 0o7777 == 0o751)
    #expect(stat(copy + "/B.txt", &info) == 0 && info.st_mode & 0o7777 == 0o666)
    #expect(stat(copy + "/x/deep", &info) == 0 && info.st_mode & 0o7777 == 0o555)
    #expect(FileIO.readLink(copy + "/usr") == "../.billy/shared/usr")
    #expect(!FileIO.exists(copy + "/fifo"))
    #expect(stat(copy + "/pkg/m.py", &info) == 0)
    #expect(
      info.st_mtim.tv_sec == 1_500_000_000 && info.st_mtim.tv_nsec == 7, "the modification time is kept")
    var sourceInfo = stat()
    #expect(stat(source + "/B.txt", &sourceInfo) == 0 && stat(copy + "/B.txt", &info) == 0)
    #expect(sourceInfo.st_ino != info.st_ino, "the copy shares no inode with the source")
  }

  @Test(
    "a copy never writes into or removes an existing destination, and a failed copy leaves nothing",
    arguments: [TreeHasher.Engine.portable] + (FileDigestStream.isAvailable ? [.interleaved] : []))
  func copyRefusals(engine: TreeHasher.Engine) throws {
    let scratch = ScratchDirectory()
    try makeTree(scratch.path)
    let existing = scratch.path + "/existing"
    try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
    try "mine".write(toFile: existing + "/keep", atomically: false, encoding: .utf8)
    #expect(throws: A0Error.self) {
      try TreeHasher.copy(from: scratch.path + "/app", to: existing, engine: engine)
    }
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
    #expect(throws: A0Error.self) {
      try TreeHasher.copy(from: scratch.path + "/app", to: parent + "/copy", engine: engine)
    }
    #expect(!FileIO.exists(parent + "/copy"))
    #expect(throws: A0Error.self) {
      try TreeHasher.copy(from: scratch.path + "/missing", to: scratch.path + "/copy2", engine: engine)
    }
    #expect(!FileIO.exists(scratch.path + "/copy2"))
  }

  /// Sizes around every boundary the interleaved engine has: the 55/56 and
  /// 63/64 byte padding edges, whole blocks, and its read chunk.
  static let edgeSizes: [Int] = {
    let chunk = FileDigestStream.chunk
    return [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096]
      + [chunk - 65, chunk - 64, chunk - 1, chunk, chunk + 1, chunk + 55, chunk + 64, 3 * chunk + 17]
  }()

  /// A tree of files with the edge sizes and seeded random sizes and bytes,
  /// one flat directory and a few nested ones; returns each file's content.
  func makeSizedTree(_ root: String, seed: UInt64, randomFiles: Int) throws -> [String: [UInt8]] {
    var random = SplitMix64(seed: seed)
    var contents: [String: [UInt8]] = [:]
    let sizes =
      Self.edgeSizes
      + (0..<randomFiles).map { _ in
        Int.random(in: 0...(random.next() % 4 == 0 ? 3 * FileDigestStream.chunk : 600), using: &random)
      }
    for (number, size) in sizes.enumerated() {
      let directory = number % 3 == 0 ? "flat" : "nested/d\(number % 5)"
      try FileManager.default.createDirectory(
        atPath: root + "/" + directory, withIntermediateDirectories: true)
      var bytes: [UInt8] = []
      bytes.reserveCapacity(size + 8)
      while bytes.count < size { withUnsafeBytes(of: random.next()) { bytes += $0 } }
      bytes.removeLast(bytes.count - size)
      let path = directory + "/f\(number)"
      #expect(FileManager.default.createFile(atPath: root + "/" + path, contents: Data(bytes)))
      contents[path] = bytes
    }
    return contents
  }

  @Test(
    "the interleaved SHA engine gives every file the digest swift-crypto gives it, at every size boundary",
    .enabled(if: FileDigestStream.isAvailable, "this CPU has no SHA instructions"),
    arguments: [1, 2, 3] as [UInt64])
  func interleavedMatchesPortable(seed: UInt64) throws {
    let scratch = ScratchDirectory()
    let contents = try makeSizedTree(scratch.path, seed: seed, randomFiles: 150)
    let interleaved = try TreeHasher.digest(root: scratch.path, excludingTopLevel: [], engine: .interleaved)
    let portable = try TreeHasher.digest(root: scratch.path, excludingTopLevel: [], engine: .portable)
    #expect(interleaved.treeHash == portable.treeHash)
    #expect(interleaved.entries.count == contents.count)
    for (path, bytes) in contents {
      #expect(
        interleaved.files[path] == Digest.hex(SHA256.hash(data: bytes)), "\(path): \(bytes.count) bytes")
    }
  }

  @Test(
    "both engines copy the same bytes and report the same digest",
    arguments: [TreeHasher.Engine.portable] + (FileDigestStream.isAvailable ? [.interleaved] : []))
  func copyEngines(engine: TreeHasher.Engine) throws {
    let scratch = ScratchDirectory()
    let contents = try makeSizedTree(scratch.path + "/source", seed: 9, randomFiles: 60)
    let digest = try TreeHasher.copy(
      from: scratch.path + "/source", to: scratch.path + "/copy", engine: engine)
    #expect(
      digest
        == (try TreeHasher.digest(
          root: scratch.path + "/source", excludingTopLevel: [], includingBytecode: true)))
    for (path, bytes) in contents {
      #expect(FileManager.default.contents(atPath: scratch.path + "/copy/" + path) == Data(bytes), "\(path)")
    }
  }

  @Test(
    "a walk that fails half-way fails the hash with the directory named, and no worker is left waiting",
    arguments: [TreeHasher.Engine.portable] + (FileDigestStream.isAvailable ? [.interleaved] : []))
  func walkFailure(engine: TreeHasher.Engine) throws {
    let scratch = ScratchDirectory()
    _ = try makeSizedTree(scratch.path + "/tree", seed: 4, randomFiles: 40)
    // Directories nested past PATH_MAX, made relative to each other (only
    // the walk's absolute path is too long): the hashers are at work on the
    // files published before it when the walk fails.
    var parent = open(scratch.path + "/tree/nested", O_RDONLY | O_DIRECTORY)
    #expect(parent >= 0)
    for _ in 0..<20 {
      let name = String(repeating: "z", count: 250)
      #expect(mkdirat(parent, name, 0o755) == 0)
      let child = openat(parent, name, O_RDONLY | O_DIRECTORY)
      close(parent)
      parent = child
    }
    close(parent)
    defer {
      let remove = Process()
      remove.executableURL = URL(fileURLWithPath: "/bin/rm")
      remove.arguments = ["-rf", "--", scratch.path + "/tree"]
      try? remove.run()
      remove.waitUntilExit()
    }
    #expect {
      try TreeHasher.digest(root: scratch.path + "/tree", excludingTopLevel: [], engine: engine)
    } throws: { error in
      (error as? A0Error)?.what.hasPrefix("cannot read directory") == true
    }
  }
}
