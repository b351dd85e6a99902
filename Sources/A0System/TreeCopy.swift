import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// Copying a tree while hashing it: the copy is exactly the bytes the
/// digest covers, with the source's modes and times.
extension TreeHasher {
  /// Copies the tree at `root` to `destination`, which must not exist, and
  /// returns the digest of the bytes it copied: regular files with their
  /// permission bits and times (a `.pyc` records its source's modification
  /// time, and stays valid only if the copy keeps it), directories, symlinks
  /// as they are, and each source's bytecode (`isSourceBytecode`); special
  /// files and the rest of a bytecode cache are not copied.
  /// The copy shares no inode with the source, so changing one never
  /// changes the other. On error the partial copy is removed.
  public static func copy(from root: String, to destination: String) throws(A0Error) -> TreeDigest {
    try copy(from: root, to: destination, engine: .automatic)
  }

  static func copy(from root: String, to destination: String, engine: Engine) throws(A0Error) -> TreeDigest {
    let copy = Copy(destination: destination)
    do throws(A0Error) {
      let digest = try run(root: root, exclusions: [], bytecode: true, copy: copy, engine: engine)
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

  /// Creates the file `copy` for the open file `descriptor` (at `path`),
  /// with its permission bits whatever the umask, and returns it with the
  /// size the source has now: what is copied and hashed stops there, so the
  /// copy is always exactly the bytes the digest covers.
  static func createCopy(of descriptor: Int32, path: String, at copy: String) throws(A0Error)
    -> (output: Int32, size: Int)
  {
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      throw A0Error(.operationFailed, "cannot read \(path)", why: FileIO.errnoText())
    }
    let mode = info.st_mode & 0o777
    let output = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
    guard output >= 0 else {
      throw A0Error(.operationFailed, "cannot create \(copy)", why: FileIO.errnoText())
    }
    if mode & (processUmask ?? 0o777) != 0 && fchmod(output, mode) != 0 {
      let error = A0Error(.operationFailed, "cannot set the mode of \(copy)", why: FileIO.errnoText())
      close(output)
      throw error
    }
    return (output, Int(info.st_size))
  }

  /// Gives a finished copy its source's access and modification times.
  /// Best effort: a copy with other times has the same bytes, and Python
  /// recompiles bytecode whose source time differs instead of loading it.
  static func keepTimes(of source: Int32, on copy: Int32) {
    var info = stat()
    guard fstat(source, &info) == 0 else { return }
    let times = [info.st_atim, info.st_mtim]
    _ = times.withUnsafeBufferPointer { futimens(copy, $0.baseAddress) }
  }
}
