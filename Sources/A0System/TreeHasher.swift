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
    /// Its place in the walk's order.
    var sequence = 0
  }

  /// Hashes `root` as DESIGN.md §3 defines it. `excludingTopLevel` names
  /// top-level entries to skip (`.git`, `.venv` for a source tree);
  /// `__pycache__` directories are skipped everywhere unless
  /// `includingBytecode` (a virtualenv, whose bytecode a0 writes at
  /// staging); then the bytecode of each source is hashed, and the rest of
  /// the cache is not (`isSourceBytecode`).
  public static func digest(
    root: String, excludingTopLevel: Set<String> = [".git", ".venv"], includingBytecode: Bool = false,
    tally: Tally? = nil
  ) throws(A0Error) -> TreeDigest {
    try run(
      root: root, exclusions: excludingTopLevel, bytecode: includingBytecode, copy: nil, engine: .automatic,
      tally: tally)
  }

  /// What hashes have done so far, read by a watcher on another thread:
  /// entries hashed and their bytes, entries listed, and whether the
  /// listing is complete. Counts add up over the trees it is given to.
  public final class Tally: Sendable {
    public struct Counts: Equatable, Sendable {
      public var hashed = 0
      public var bytes: Int64 = 0
      public var listed = 0
      public var listingComplete = false
    }
    private let counts = Mutex(Counts())

    public init() {}

    public var now: Counts { counts.withLock { $0 } }

    func listed(_ entries: Int) { counts.withLock { $0.listed += entries } }
    func listing(complete: Bool) { counts.withLock { $0.listingComplete = complete } }
    func hashed(bytes: Int64) {
      counts.withLock {
        $0.hashed += 1
        $0.bytes += bytes
      }
    }
  }

  /// How file contents are hashed. Both give the same digests.
  enum Engine {
    /// Two files at a time per core with the CPU's SHA instructions.
    case interleaved
    /// One file at a time per core with swift-crypto.
    case portable

    static let automatic: Engine = FileDigestStream.isAvailable ? .interleaved : .portable
  }

  static func digest(
    root: String, excludingTopLevel: Set<String>, includingBytecode: Bool = false, engine: Engine
  ) throws(A0Error) -> TreeDigest {
    try run(root: root, exclusions: excludingTopLevel, bytecode: includingBytecode, copy: nil, engine: engine)
  }

  /// The walk runs on the calling thread and publishes files as it finds
  /// them, so the other cores hash from the first directory on; the calling
  /// thread then sorts the paths while they still hash, and hashes too.
  static func run(
    root: String, exclusions: Set<String>, bytecode: Bool, copy: Copy?, engine: Engine, tally: Tally? = nil
  ) throws(A0Error) -> TreeDigest {
    tally?.listing(complete: false)
    let workers = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 16))
    let queue = WorkQueue(wholeDirectories: copy != nil)
    let hashed = Mutex<(entries: [(sequence: Int, hex: String)], failure: A0Error?)>(([], nil))
    let destination = copy?.destination
    let work = { @Sendable in
      let (entries, failure) = hashFiles(
        from: queue, root: root, copyTo: destination, engine: engine, tally: tally)
      hashed.withLock { all in
        all.entries += entries
        if all.failure == nil { all.failure = failure }
      }
    }
    let group = DispatchGroup()
    for _ in 1..<workers { DispatchQueue.global().async(group: group, execute: work) }
    var listed: [[UInt8]] = []
    let walked = Result { () throws(A0Error) in
      try walk(
        root: root, relative: [], isTop: true, exclusions: exclusions, bytecode: bytecode, copy: copy,
        listed: &listed,
        publish: { files in
          tally?.listed(files.count)
          queue.publish(files)
        })
    }
    tally?.listing(complete: true)
    if case .failure = walked { queue.abandon() }
    queue.finish()
    let order = listed.indices.sorted { listed[$0].lexicographicallyPrecedes(listed[$1]) }
    var rank = [Int](repeating: 0, count: listed.count)
    for (position, sequence) in order.enumerated() { rank[sequence] = position }
    let paths = order.map { String(decoding: listed[$0], as: UTF8.self) }
    work()
    group.wait()
    try walked.get()
    let entries = try hashed.withLock { all throws(A0Error) in
      if let failure = all.failure { throw failure }
      return all.entries
    }
    var hexes = [String?](repeating: nil, count: paths.count)
    for entry in entries { hexes[rank[entry.sequence]] = entry.hex }
    var digestEntries: [TreeDigest.Entry] = []
    digestEntries.reserveCapacity(paths.count)
    for (path, hex) in zip(paths, hexes) {
      guard let hex else { throw A0Error(.operationFailed, "\(root)/\(path) could not be hashed") }
      digestEntries.append(TreeDigest.Entry(path: path, hex: hex))
    }
    let treeHash = Digest.sha256Hex(TreeDigest.listing(digestEntries))
    return TreeDigest(entries: digestEntries, treeHash: treeHash)
  }

  /// Files published by the walk, taken by the workers a unit at a time: a
  /// few files when hashing, every file of a directory when copying, since
  /// creating a file takes its directory's lock and two workers filling one
  /// directory spend their time waiting for each other.
  final class WorkQueue: Sendable {
    private struct Units {
      var published: [[Item]] = []
      var next = 0
      var abandoned = false
    }
    private let units = Mutex(Units())
    /// One signal per unit published and one when the walk is over, so a
    /// worker that finds no unit after a signal knows it is over (and
    /// passes that signal on to the next).
    private let available = DispatchSemaphore(value: 0)
    private let wholeDirectories: Bool
    static let filesPerUnit = 4

    init(wholeDirectories: Bool) { self.wholeDirectories = wholeDirectories }

    /// Publishes one directory's files.
    func publish(_ files: [Item]) {
      guard !files.isEmpty else { return }
      let size = wholeDirectories ? files.count : Self.filesPerUnit
      let chunks = stride(from: 0, to: files.count, by: size).map {
        Array(files[$0..<min($0 + size, files.count)])
      }
      units.withLock { $0.published += chunks }
      for _ in chunks { available.signal() }
    }

    /// The walk is over: wakes the workers still waiting.
    func finish() { available.signal() }

    /// The walk failed: workers take no further unit.
    func abandon() { units.withLock { $0.abandoned = true } }

    /// The next unit, waiting for the walk if it has published nothing new;
    /// nil once every unit is taken and the walk is over.
    func claim() -> [Item]? {
      available.wait()
      let unit = units.withLock { state -> [Item]? in
        guard !state.abandoned, state.next < state.published.count else { return nil }
        defer { state.next += 1 }
        return state.published[state.next]
      }
      if unit == nil { available.signal() }
      return unit
    }
  }

  private static func walk(
    root: String, relative: [UInt8], isTop: Bool, exclusions: Set<String>, bytecode: Bool,
    inBytecodeCache: Bool = false, copy: Copy?, listed: inout [[UInt8]], publish: ([Item]) -> Void
  ) throws(A0Error) {
    var items: [Item] = []
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
      if inBytecodeCache && !(kind == UInt8(DT_REG) && isSourceBytecode(name, cache: directory)) { continue }
      switch kind {
      case UInt8(DT_DIR):
        if name == "__pycache__" && !bytecode { continue }
        try walk(
          root: root, relative: childRelative, isTop: false, exclusions: exclusions, bytecode: bytecode,
          inBytecodeCache: name == "__pycache__", copy: copy, listed: &listed, publish: publish)
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
    for index in items.indices {
      items[index].sequence = listed.count
      listed.append(items[index].relative)
    }
    publish(items)
  }

  /// Whether `name` in the `__pycache__` directory `cache` is the bytecode
  /// the import system loads for a source beside it: `STEM.TAG.pyc` (as in
  /// `m.cpython-312.pyc`) with `STEM.py` in the parent directory. Anything
  /// else there is a cache written at run time (optimised bytecode, an
  /// import hook's own variant), which a release neither records nor copies.
  static func isSourceBytecode(_ name: String, cache: String) -> Bool {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[2] == "pyc", !parts[0].isEmpty, !parts[1].isEmpty else { return false }
    var info = stat()
    return lstat(FileIO.parent(of: cache) + "/" + parts[0] + ".py", &info) == 0
      && info.st_mode & S_IFMT == S_IFREG
  }

  /// One worker: hashes (and copies) the units it claims until none is
  /// left, returning what it hashed or the first error.
  private static func hashFiles(
    from queue: WorkQueue, root: String, copyTo destination: String?, engine: Engine, tally: Tally?
  )
    -> (entries: [(sequence: Int, hex: String)], failure: A0Error?)
  {
    var hashed: [(sequence: Int, hex: String)] = []
    var pending: ArraySlice<Item> = []
    func claim() -> Item? {
      while pending.isEmpty {
        guard let unit = queue.claim() else { return nil }
        pending = unit[...]
      }
      return pending.removeFirst()
    }
    func path(_ item: Item) -> String { "/" + String(decoding: item.relative, as: UTF8.self) }
    /// The next regular file, after hashing the links claimed on the way.
    func nextFile() throws(A0Error) -> Item? {
      while let item = claim() {
        guard item.kind == .symlink else { return item }
        if let copied = item.hex {
          hashed.append((item.sequence, copied))
        } else {
          hashed.append((item.sequence, try linkHex(root + path(item))))
        }
        tally?.hashed(bytes: 0)
      }
      return nil
    }
    do throws(A0Error) {
      switch engine {
      case .portable:
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while let item = try nextFile() {
          let relative = path(item)
          let hex = try hashFile(
            root + relative, buffer: &buffer, copyTo: destination.map { $0 + relative }, tally: tally)
          hashed.append((item.sequence, hex))
        }
      case .interleaved:
        let streams = (FileDigestStream(), FileDigestStream())
        /// Whether `stream` has whole blocks to hash, opening, reading and
        /// finishing files until it does or no file is left.
        func ready(_ stream: FileDigestStream) throws(A0Error) -> Bool {
          while true {
            if stream.sequence == nil {
              guard let item = try nextFile() else { return false }
              let relative = path(item)
              try stream.open(item.sequence, path: root + relative, copyTo: destination.map { $0 + relative })
            }
            if stream.pendingBlocks > 0 { return true }
            if !stream.isDrained {
              try stream.refill()
            } else if let sequence = stream.sequence {
              tally?.hashed(bytes: Int64(stream.length))
              hashed.append((sequence, stream.finish()))
            }
          }
        }
        hashing: while true {
          switch (try ready(streams.0), try ready(streams.1)) {
          case (true, true): FileDigestStream.hashTogether(streams.0, streams.1)
          case (true, false): streams.0.hashPending()
          case (false, true): streams.1.hashPending()
          case (false, false): break hashing
          }
        }
      }
    } catch {
      queue.abandon()
      return ([], error)
    }
    return (hashed, nil)
  }

  /// SHA-256 of a link's target as stored, even when it is not UTF-8.
  private static func linkHex(_ path: String) throws(A0Error) -> String {
    var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = target.withUnsafeMutableBytes { bytes -> Int in
      guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return -1 }
      return readlink(path, base, bytes.count - 1)
    }
    guard count >= 0 else {
      throw A0Error(.operationFailed, "cannot read link \(path)", why: FileIO.errnoText())
    }
    return Digest.sha256Hex(Array(target[0..<count]))
  }

  /// SHA-256 of one file, read in 1 MiB blocks; with `copyTo`, each block
  /// is also written to a new file there, with the source's permission bits.
  public static func hashFile(
    _ path: String, buffer: inout [UInt8], copyTo copy: String? = nil, tally: Tally? = nil
  ) throws(A0Error) -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open \(path)", why: FileIO.errnoText())
    }
    defer { close(descriptor) }
    var output: Int32 = -1
    defer {
      if output >= 0 {
        keepTimes(of: descriptor, on: output)
        close(output)
      }
    }
    var remaining = Int.max
    if let copy { (output, remaining) = try createCopy(of: descriptor, path: path, at: copy) }
    var hasher = SHA256()
    var length: Int64 = 0
    defer { tally?.hashed(bytes: length) }
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
      length += Int64(count)
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
