import A0Core
import CA0Shims
import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Small, durable file primitives over the POSIX calls, so that each
/// guarantee a0 relies on is visible: fsync after write, rename for
/// atomicity, fsync of the directory so the rename survives a power cut.
public enum FileIO {
  public static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

  public static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
  }

  public static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// A directory itself, not a symlink to one.
  public static func isRealDirectory(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// Reads a whole file; nil when it does not exist. `followLinks: false`
  /// refuses a symlink as the last component (a0's own control files).
  public static func read(_ path: String, followLinks: Bool = true) throws(A0Error) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW))
    if descriptor < 0 {
      if errno == ENOENT { return nil }
      throw A0Error(
        errno == ELOOP ? .integrityViolation : .operationFailed, "cannot open \(path)",
        why: errno == ELOOP
          ? "it is a symbolic link, and a0 never follows one for its own files" : errnoText())
    }
    defer { close(descriptor) }
    return try readAll(descriptor: descriptor, path: path)
  }

  /// Reads a file a caller names (a signature): it must be a regular file
  /// of at most `limit` bytes. Opened without blocking, so a FIFO or a
  /// device named instead is refused at once rather than waited on.
  public static func readRegularFile(_ path: String, limit: Int) throws(A0Error) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard descriptor >= 0 else {
      throw A0Error(.badInput, "cannot open \(path)", why: errnoText(), next: "Pass a file that exists")
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      throw A0Error(
        .badInput, "\(path) is not a regular file", next: "Pass the file itself, not a pipe or a device")
    }
    guard info.st_size <= limit else {
      throw A0Error(.badInput, "\(path) is larger than \(limit) bytes", next: "Pass the right file")
    }
    let bytes = try readAll(descriptor: descriptor, path: path)
    guard bytes.count <= limit else {
      throw A0Error(.badInput, "\(path) grew beyond \(limit) bytes while it was read")
    }
    return bytes
  }

  public static func readAll(descriptor: Int32, path: String) throws(A0Error) -> [UInt8] {
    var info = stat()
    var capacity = 64 * 1024
    if fstat(descriptor, &info) == 0, info.st_size > 0 { capacity = Int(info.st_size) + 1 }
    var bytes = [UInt8](repeating: 0, count: capacity)
    var count = 0
    while true {
      if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
      let got = bytes.withUnsafeMutableBytes { buffer -> Int in
        guard let base = buffer.baseAddress else { return 0 }
        return Glibc.read(descriptor, base + count, buffer.count - count)
      }
      if got < 0 {
        if errno == EINTR { continue }
        throw A0Error(.operationFailed, "cannot read \(path)", why: errnoText())
      }
      if got == 0 { break }
      count += got
    }
    bytes.removeSubrange(count...)
    return bytes
  }

  /// Writes every byte, retrying short writes and EINTR.
  public static func writeAll(descriptor: Int32, _ bytes: [UInt8], path: String) throws(A0Error) {
    try bytes.withUnsafeBytes { buffer in
      Result { () throws(A0Error) in try writeAll(descriptor: descriptor, buffer, path: path) }
    }.get()
  }

  public static func writeAll(descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String)
    throws(A0Error)
  {
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
      let written = write(descriptor, base + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        throw A0Error(.operationFailed, "cannot write \(path)", why: errnoText())
      }
      offset += written
    }
  }

  public static func fsyncDescriptor(_ descriptor: Int32, path: String) throws(A0Error) {
    if fsync(descriptor) != 0 {
      throw A0Error(.operationFailed, "cannot flush \(path) to disk", why: errnoText())
    }
  }

  /// Makes a rename or a create inside `directory` durable.
  public static func fsyncDirectory(_ directory: String) throws(A0Error) {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open directory \(directory)", why: errnoText())
    }
    defer { close(descriptor) }
    try fsyncDescriptor(descriptor, path: directory)
  }

  public static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  public static func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  /// Replaces `path` atomically: a temporary file in the same directory,
  /// fsync, rename over the target, fsync of the directory. A reader sees
  /// the old content or the new, never a mix; a crash leaves at most a
  /// temporary file, which carries the process id in its name.
  /// `durable: false` skips both fsyncs, for files a crash may lose (progress
  /// reports): readers still never see a torn file.
  public static func writeAtomically(
    _ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true
  ) throws(A0Error) {
    let directory = parent(of: path)
    let temporary = "\(directory)/.\(baseName(of: path)).tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot create \(temporary)", why: errnoText())
    }
    do {
      try writeAll(descriptor: descriptor, bytes, path: temporary)
      if durable { try fsyncDescriptor(descriptor, path: temporary) }
    } catch {
      close(descriptor)
      unlink(temporary)
      throw error
    }
    close(descriptor)
    guard Glibc.rename(temporary, path) == 0 else {
      let reason = errnoText()
      unlink(temporary)
      throw A0Error(.operationFailed, "cannot replace \(path)", why: reason)
    }
    if durable { try fsyncDirectory(directory) }
  }

  /// Flushes the whole filesystem that holds `path` (syncfs): what other
  /// programs wrote into a build (git, the installer) is on disk before the
  /// build is published, without opening and fsyncing each of its files.
  public static func syncFilesystem(holding path: String) throws(A0Error) {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open \(path)", why: errnoText())
    }
    defer { close(descriptor) }
    guard a0_syncfs(descriptor) == 0 else {
      throw A0Error(.operationFailed, "cannot flush the filesystem of \(path)", why: errnoText())
    }
  }

  /// What changes when a file is replaced or rewritten, as git's index
  /// tracks it: device and inode, size, and modification and change times
  /// to the nanosecond. nil when `path` cannot be read.
  public static func identity(of path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    let modified = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    let changed = "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
    return "\(info.st_dev):\(info.st_ino) \(info.st_size) \(modified) \(changed)"
  }

  /// Starts `syncFilesystem(holding:)` on another thread and returns a
  /// wait for it: the flush that must finish before a build is published
  /// then finds most of the build already written, while the steps in
  /// between ran. Its outcome is not reported; the later flush's is.
  public static func startFlushing(holding path: String) -> @Sendable () -> Void {
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      try? syncFilesystem(holding: path)
      group.leave()
    }
    return { group.wait() }
  }

  public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(A0Error) {
    if mkdir(path, mode) != 0 && errno != EEXIST {
      throw A0Error(.operationFailed, "cannot create directory \(path)", why: errnoText())
    }
  }

  public static func rename(_ from: String, to: String) throws(A0Error) {
    guard Glibc.rename(from, to) == 0 else {
      throw A0Error(.operationFailed, "cannot rename \(from) to \(to)", why: errnoText())
    }
  }

  /// Deletes a tree without following symlinks.
  public static func removeTree(_ path: String) throws(A0Error) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      for entry in try listDirectory(path) { try removeTree(path + "/" + entry) }
      guard rmdir(path) == 0 else {
        throw A0Error(.operationFailed, "cannot remove \(path)", why: errnoText())
      }
    } else {
      guard unlink(path) == 0 || errno == ENOENT else {
        throw A0Error(.operationFailed, "cannot remove \(path)", why: errnoText())
      }
    }
  }

  public static func listDirectory(_ path: String) throws(A0Error) -> [String] {
    guard let directory = opendir(path) else {
      throw A0Error(.operationFailed, "cannot list \(path)", why: errnoText())
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
        pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  public static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  public static func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return "." }
    return String(cString: buffer)
  }

  /// Creates the symlink `path` pointing at `target` (which is not resolved).
  public static func makeSymlink(_ path: String, to target: String) throws(A0Error) {
    guard symlink(target, path) == 0 else {
      throw A0Error(.operationFailed, "cannot create the link \(path)", why: errnoText())
    }
  }

  /// Removes the link or file at `path`; one that does not exist is no error.
  public static func removeLink(_ path: String) throws(A0Error) {
    guard unlink(path) == 0 || errno == ENOENT else {
      throw A0Error(.operationFailed, "cannot remove \(path)", why: errnoText())
    }
  }

  /// Removes the link or file at `path` if it can; for clean-ups that have
  /// nothing better to do on failure.
  public static func removeLinkIfPresent(_ path: String) { unlink(path) }

  /// The size of a file, or of every file under a directory, links not followed.
  public static func totalSize(of path: String) -> Int64 {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    guard (info.st_mode & S_IFMT) == S_IFDIR else { return Int64(info.st_size) }
    return ((try? listDirectory(path)) ?? []).reduce(0) { $0 + totalSize(of: path + "/" + $1) }
  }

  /// Whether `path` itself (not what it links to) is a symlink, a directory or something else.
  public enum Kind { case symlink, directory, other, missing }

  public static func kind(of path: String) -> Kind {
    var info = stat()
    guard lstat(path, &info) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFLNK: return .symlink
    case S_IFDIR: return .directory
    default: return .other
    }
  }

  public static func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

extension FileIO {
  /// Swaps two paths in one step (renameat2 RENAME_EXCHANGE), then fsyncs
  /// their directory.
  public static func exchange(_ first: String, _ second: String) throws(A0Error) {
    guard a0_exchange(first, second) == 0 else {
      throw A0Error(.operationFailed, "cannot swap \(first) and \(second)", why: errnoText())
    }
    try fsyncDirectory(parent(of: first))
  }
}
