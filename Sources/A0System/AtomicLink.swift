import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// Symlinks switched atomically: a temporary link renamed over the old one.
public enum AtomicLink {
  public static func replace(link: String, target: String) throws(A0Error) {
    let directory = FileIO.parent(of: link)
    let temporary = "\(directory)/.\(FileIO.baseName(of: link)).tmp-\(getpid())"
    FileIO.removeLinkIfPresent(temporary)
    try FileIO.makeSymlink(temporary, to: target)
    guard rename(temporary, link) == 0 else {
      let reason = FileIO.errnoText()
      FileIO.removeLinkIfPresent(temporary)
      throw A0Error(.operationFailed, "cannot switch \(link)", why: reason)
    }
    try FileIO.fsyncDirectory(directory)
  }

  /// Removes temporary links a crash left behind in `directory`.
  public static func removeStale(in directory: String) {
    for name in (try? FileIO.listDirectory(directory)) ?? []
    where name.hasPrefix(".") && name.contains(".tmp-") {
      FileIO.removeLinkIfPresent(directory + "/" + name)
    }
  }
}
