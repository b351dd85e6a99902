import A0Core
import Crypto
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Computes `TreeDigest`s: walks a tree without following symlinks, sorts
/// paths bytewise, and hashes the files in parallel across cores with large
/// reads. It can copy the tree while it hashes it, so a copy is checked by
/// the same pass that makes it.
public enum TreeHasher {
  enum Kind { case file, symlink }

  struct Item {
    var relative: [UInt8]
    var kind: Kind
    /// A copied link's hash, from the very bytes the copy was made of.
    var hex: String? = nil
  }

  /// Hashes `root` as DESIGN.md §3 defines it. `excludingTopLevel` names
  /// top-level entries to skip (`.git`, `.venv` for a source tree);
  /// `__pycache__` directories are skipped everywhere.
  public static func digest(root: String, excludingTopLevel: Set<String> = [".git", ".venv"]) throws(A0Error)
    -> TreeDigest
  {
    try run(root: root, exclusions: excludingTopLevel, copy: nil)
  }

  /// Copies the tree at `root` to `destination`, which must not exist, and
  /// returns the digest of the bytes it copied: regular files with their
  /// permission bits, directories, symlinks as they are; what the digest
  /// skips (`__pycache__`, special files) is not copied. The copy shares no
  /// inode with the source, so changing one never changes the other. On
  /// error the partial copy is removed.
  public static func copy(from root: String, to destination: String) throws(A0Error) -> TreeDigest {
    let copy = Copy(destination: destination)
    do throws(A0Error) {
      let digest = try run(root: root, exclusions: [], copy: copy)
      // Directory permissions last, so a read-only directory was still written into.
      for directory in copy.directories.reversed()
      where chmod(destination + directory.relative, directory.mode) != 0 {
        throw A0Error(
          .operationFailed, "cannot set the mode of \(destination + directory.relative)",
          why: FileIO.errnoText())
      }
      return digest
    } catch {
      // Only what this copy created: an existing destination is an error, not a casualty.
      if !copy.directories.isEmpty { try? FileIO.removeTree(destination) }
      throw error
    }
  }

  /// Where a copy goes, and the directories it made with their final modes.
  final class Copy {
    let destination: String
    var directories: [(relative: String, mode: mode_t)] = []
    init(destination: String) { self.destination = destination }
  }

  private static func run(root: String, exclusions: Set<String>, copy: Copy?) throws(A0Error) -> TreeDigest {
    var items: [Item] = []
    try walk(root: root, relative: [], isTop: true, exclusions: exclusions, copy: copy, into: &items)
    items.sort { $0.relative.lexicographicallyPrecedes($1.relative) }
    let hexes = try hashAll(root: root, items: items, copyTo: copy?.destination)
    let entries = zip(items, hexes).map { item, hex in
      TreeDigest.Entry(path: String(decoding: item.relative, as: UTF8.self), hex: hex)
    }
    let treeHash = Digest.sha256Hex(TreeDigest.listing(entries))
    return TreeDigest(entries: entries, treeHash: treeHash)
  }

  private static func walk(
    root: String, relative: [UInt8], isTop: Bool, exclusions: Set<String>, copy: Copy?,
    into items: inout [Item]
  ) throws(A0Error) {
    let suffix = relative.isEmpty ? "" : "/" + String(decoding: relative, as: UTF8.self)
    let directory = root + suffix
    guard let handle = opendir(directory) else {
      throw A0Error(.operationFailed, "cannot read directory \(directory)", why: FileIO.errnoText())
    }
    defer { closedir(handle) }
    if let copy {
      var info = stat()
      guard fstat(dirfd(handle), &info) == 0, mkdir(copy.destination + suffix, 0o700) == 0 else {
        throw A0Error(.operationFailed, "cannot create \(copy.destination + suffix)", why: FileIO.errnoText())
      }
      copy.directories.append((suffix, info.st_mode & 0o7777))
    }
    while let entry = readdir(handle) {
      let nameBytes = withUnsafeBytes(of: entry.pointee.d_name) { buffer in
        Array(buffer.prefix { $0 != 0 })
      }
      if nameBytes == [0x2E] || nameBytes == [0x2E, 0x2E] { continue }
      let name = String(decoding: nameBytes, as: UTF8.self)
      if isTop && exclusions.contains(name) { continue }
      let childRelative = relative.isEmpty ? nameBytes : relative + [0x2F] + nameBytes
      var kind = entry.pointee.d_type
      if kind == UInt8(DT_UNKNOWN) {
        var info = stat()
        guard lstat(directory + "/" + name, &info) == 0 else { continue }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: kind = UInt8(DT_DIR)
        case S_IFREG: kind = UInt8(DT_REG)
        case S_IFLNK: kind = UInt8(DT_LNK)
        default: continue
        }
      }
      switch kind {
      case UInt8(DT_DIR):
        if name == "__pycache__" { continue }
        try walk(
          root: root, relative: childRelative, isTop: false, exclusions: exclusions, copy: copy, into: &items)
      case UInt8(DT_REG): items.append(Item(relative: childRelative, kind: .file))
      case UInt8(DT_LNK):
        if let copy {
          let path = suffix + "/" + name
          // The target's bytes as stored, even when they are not UTF-8.
          var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
          let count = readlink(directory + "/" + name, &target, target.count - 1)
          guard count >= 0, symlink(target, copy.destination + path) == 0 else {
            throw A0Error(
              .operationFailed, "cannot copy the link \(directory)/\(name)", why: FileIO.errnoText())
          }
          let hex = Digest.sha256Hex(target[0..<count].map { UInt8(bitPattern: $0) })
          items.append(Item(relative: childRelative, kind: .symlink, hex: hex))
        } else {
          items.append(Item(relative: childRelative, kind: .symlink))
        }
      default: continue  // sockets, fifos, devices: never part of a release
      }
    }
  }

  private static func hashAll(root: String, items: [Item], copyTo destination: String?) throws(A0Error)
    -> [String]
  {
    let results = Mutex<[String?]>(Array(repeating: nil, count: items.count))
    let failure = Mutex<A0Error?>(nil)
    let next = Atomic<Int>(0)
    let workers = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 16))
    let directories = destination == nil ? nil : filesByDirectory(items)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var buffer = [UInt8](repeating: 0, count: 1 << 20)
      var local: [(Int, String)] = []
      var pending: ArraySlice<Int> = []
      func claim() -> Int? {
        guard let directories else {
          let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
          return index < items.count ? index : nil
        }
        while pending.isEmpty {
          let unit = next.wrappingAdd(1, ordering: .relaxed).oldValue
          guard unit < directories.count else { return nil }
          pending = directories[unit][...]
        }
        return pending.removeFirst()
      }
      while let index = claim() {
        let item = items[index]
        let relative = "/" + String(decoding: item.relative, as: UTF8.self)
        let path = root + relative
        do {
          let hex: String
          switch item.kind {
          case .file: hex = try hashFile(path, buffer: &buffer, copyTo: destination.map { $0 + relative })
          case .symlink:
            if let copied = item.hex {
              hex = copied
              break
            }
            // The target's bytes as stored, even when they are not UTF-8.
            var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = target.withUnsafeMutableBytes { bytes -> Int in
              guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return -1 }
              return readlink(path, base, bytes.count - 1)
            }
            guard count >= 0 else {
              throw A0Error(.operationFailed, "cannot read link \(path)", why: FileIO.errnoText())
            }
            hex = Digest.sha256Hex(Array(target[0..<count]))
          }
          local.append((index, hex))
        } catch let error as A0Error {
          failure.withLock { if $0 == nil { $0 = error } }
          break
        } catch {
          break
        }
      }
      results.withLock { all in for (index, hex) in local { all[index] = hex } }
    }
    if let error = failure.withLock({ $0 }) { throw error }
    return try results.withLock { all throws(A0Error) in
      var hexes: [String] = []
      hexes.reserveCapacity(all.count)
      for hex in all {
        guard let hex else { throw A0Error(.operationFailed, "a file could not be hashed") }
        hexes.append(hex)
      }
      return hexes
    }
  }

  /// The process's file mode creation mask, read once without changing it
  /// (umask(2) can only be read by setting it). nil when it cannot be read.
  static let processUmask: mode_t? = {
    guard let bytes = try? FileIO.read("/proc/self/status"),
      let text = String(validating: bytes, as: UTF8.self)
    else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("Umask:") {
      return mode_t(line.dropFirst(6).trimmingPrefix(while: { $0 == " " || $0 == "\t" }), radix: 8)
    }
    return nil
  }()

  /// What one worker takes at a time when copying: every file of one
  /// directory, since creating a file takes its directory's lock, and two
  /// workers filling the same directory spend their time waiting for each
  /// other. (Hashing alone takes a file at a time.)
  static func filesByDirectory(_ items: [Item]) -> [[Int]] {
    var byDirectory: [ArraySlice<UInt8>: [Int]] = [:]
    var order: [ArraySlice<UInt8>] = []
    for (index, item) in items.enumerated() {
      let parent = item.relative[..<(item.relative.lastIndex(of: 0x2F) ?? 0)]
      if byDirectory[parent] == nil { order.append(parent) }
      byDirectory[parent, default: []].append(index)
    }
    return order.compactMap { byDirectory[$0] }
  }

  /// SHA-256 of one file, read in 1 MiB blocks; with `copyTo`, each block
  /// is also written to a new file there, with the source's permission bits.
  public static func hashFile(_ path: String, buffer: inout [UInt8], copyTo copy: String? = nil)
    throws(A0Error)
    -> String
  {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open \(path)", why: FileIO.errnoText())
    }
    defer { close(descriptor) }
    var output: Int32 = -1
    defer { if output >= 0 { close(output) } }
    // When copying, the size read at open: what is copied and hashed stops
    // there, so the copy is always exactly the bytes the digest covers.
    var remaining = Int.max
    if let copy {
      var info = stat()
      guard fstat(descriptor, &info) == 0 else {
        throw A0Error(.operationFailed, "cannot read \(path)", why: FileIO.errnoText())
      }
      remaining = Int(info.st_size)
      let mode = info.st_mode & 0o777
      output = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
      guard output >= 0 else {
        throw A0Error(.operationFailed, "cannot create \(copy)", why: FileIO.errnoText())
      }
      // The mode as it was, whatever the umask.
      if mode & (processUmask ?? 0o777) != 0 && fchmod(output, mode) != 0 {
        throw A0Error(.operationFailed, "cannot set the mode of \(copy)", why: FileIO.errnoText())
      }
    }
    var hasher = SHA256()
    while remaining > 0 {
      let count = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return read(descriptor, base, min(raw.count, remaining))
      }
      if count < 0 {
        if errno == EINTR { continue }
        throw A0Error(.operationFailed, "cannot read \(path)", why: FileIO.errnoText())
      }
      if count == 0 { break }
      remaining -= count
      try buffer.withUnsafeBytes { raw in
        let block = UnsafeRawBufferPointer(rebasing: raw[0..<count])
        hasher.update(bufferPointer: block)
        return Result { () throws(A0Error) in
          if output >= 0, let copy { try FileIO.writeAll(descriptor: output, block, path: copy) }
        }
      }.get()
    }
    return Digest.hex(hasher.finalize())
  }
}
