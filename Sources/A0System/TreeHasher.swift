import A0Core
import Crypto
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Computes `TreeDigest`s: walks a tree without following symlinks, sorts
/// paths bytewise, and hashes the files in parallel across cores with large
/// reads.
public enum TreeHasher {
  enum Kind { case file, symlink }

  struct Item {
    var relative: [UInt8]
    var kind: Kind
  }

  /// Hashes `root` as DESIGN.md §3 defines it. `excludingTopLevel` names
  /// top-level entries to skip (`.git`, `.venv` for a source tree);
  /// `__pycache__` directories are skipped everywhere.
  public static func digest(root: String, excludingTopLevel: Set<String> = [".git", ".venv"]) throws(A0Error)
    -> TreeDigest
  {
    var items: [Item] = []
    try walk(root: root, relative: [], isTop: true, exclusions: excludingTopLevel, into: &items)
    items.sort { $0.relative.lexicographicallyPrecedes($1.relative) }
    let hexes = try hashAll(root: root, items: items)
    let entries = zip(items, hexes).map { item, hex in
      TreeDigest.Entry(path: String(decoding: item.relative, as: UTF8.self), hex: hex)
    }
    let treeHash = Digest.sha256Hex(TreeDigest.listing(entries))
    return TreeDigest(entries: entries, treeHash: treeHash)
  }

  private static func walk(
    root: String, relative: [UInt8], isTop: Bool, exclusions: Set<String>, into items: inout [Item]
  ) throws(A0Error) {
    let directory = relative.isEmpty ? root : root + "/" + String(decoding: relative, as: UTF8.self)
    guard let handle = opendir(directory) else {
      throw A0Error(.operationFailed, "cannot read directory \(directory)", why: FileIO.errnoText())
    }
    defer { closedir(handle) }
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
        try walk(root: root, relative: childRelative, isTop: false, exclusions: exclusions, into: &items)
      case UInt8(DT_REG): items.append(Item(relative: childRelative, kind: .file))
      case UInt8(DT_LNK): items.append(Item(relative: childRelative, kind: .symlink))
      default: continue  // sockets, fifos, devices: never part of a release
      }
    }
  }

  private static func hashAll(root: String, items: [Item]) throws(A0Error) -> [String] {
    let results = Mutex<[String?]>(Array(repeating: nil, count: items.count))
    let failure = Mutex<A0Error?>(nil)
    let next = Atomic<Int>(0)
    let workers = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 16))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var buffer = [UInt8](repeating: 0, count: 1 << 20)
      var local: [(Int, String)] = []
      while true {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < items.count else { break }
        let item = items[index]
        let path = root + "/" + String(decoding: item.relative, as: UTF8.self)
        do {
          let hex: String
          switch item.kind {
          case .file: hex = try hashFile(path, buffer: &buffer)
          case .symlink:
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

  /// SHA-256 of one file, read in 1 MiB blocks.
  public static func hashFile(_ path: String, buffer: inout [UInt8]) throws(A0Error) -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open \(path)", why: FileIO.errnoText())
    }
    defer { close(descriptor) }
    var hasher = SHA256()
    while true {
      let count = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return read(descriptor, base, raw.count)
      }
      if count < 0 {
        if errno == EINTR { continue }
        throw A0Error(.operationFailed, "cannot read \(path)", why: FileIO.errnoText())
      }
      if count == 0 { break }
      buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
    return Digest.hex(hasher.finalize())
  }
}
