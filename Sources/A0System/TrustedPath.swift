import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// The ownership rule OpenSSH's StrictModes applies to `authorized_keys`,
/// applied to everything a0 trusts: a path is trusted only if no user but
/// the effective user (or root) could have made it or could replace it.
///
/// Under sudo a0 runs as the owner of its home on behalf of another user;
/// without this rule that user could hand a0 files of its own making (a
/// configuration, a signers file, links into the real journal) and a0
/// would act on them with its owner's rights.
public enum TrustedPath {
  public enum Kind: Sendable {
    case directory
    case regularFile

    var name: String { self == .directory ? "a directory" : "a regular file" }
  }

  /// A path a0 will not trust, and the rule it breaks.
  public struct Violation: Sendable, Equatable {
    public var path: String
    public var rule: String

    public init(path: String, rule: String) {
      self.path = path
      self.rule = rule
    }
  }

  /// Users whose files a0 trusts: the user it runs as, and root.
  static func isTrustedOwner(_ owner: uid_t, _ user: uid_t) -> Bool { owner == user || owner == 0 }

  /// Why `path` (which must exist unless `required` is false) breaks the
  /// rule for a control file or directory: it must be `kind` itself, never
  /// a symlink, owned by the effective user or root, and not writable by
  /// group or others. nil when it is trusted, or absent and not required.
  /// `user` is whom a0 runs as (`a0 doctor`, run by root, asks for the home's owner).
  public static func controlViolation(
    _ path: String, kind: Kind, required: Bool = false, user: uid_t = geteuid()
  ) -> String? {
    var info = stat()
    guard lstat(path, &info) == 0 else {
      if errno == ENOENT && !required { return nil }
      return "it cannot be examined (\(FileIO.errnoText()))"
    }
    let type = info.st_mode & S_IFMT
    if type == S_IFLNK { return "it is a symbolic link; a0 never follows a link for its own files" }
    if type != (kind == .directory ? S_IFDIR : S_IFREG) { return "it is not \(kind.name)" }
    return ownershipViolation(info, user)
  }

  /// Why the directory `path` and every directory above it are not safe:
  /// each must be a real directory owned by the effective user or root;
  /// above `path`, a directory others may write is accepted only with the
  /// sticky bit (as /tmp), which stops them renaming what they do not own.
  /// `path` itself must not be writable by group or others at all.
  public static func ancestryViolation(_ path: String, user: uid_t = geteuid()) -> Violation? {
    let components = path.split(separator: "/").map(String.init)
    var current = ""
    for (index, component) in ([""] + components).enumerated() {
      current = index == 0 ? "/" : (current == "/" ? "" : current) + "/" + component
      var info = stat()
      guard lstat(current, &info) == 0 else {
        return Violation(path: current, rule: "it cannot be examined (\(FileIO.errnoText()))")
      }
      if info.st_mode & S_IFMT == S_IFLNK {
        return Violation(
          path: current, rule: "it is a symbolic link; name the directory it points to instead")
      }
      guard info.st_mode & S_IFMT == S_IFDIR else {
        return Violation(path: current, rule: "it is not a directory")
      }
      let isLast = index == components.count
      if !isTrustedOwner(info.st_uid, user) {
        return Violation(
          path: current, rule: "it is owned by uid \(info.st_uid), neither a0's user (uid \(user)) nor root")
      }
      let writableByOthers = info.st_mode & (S_IWGRP | S_IWOTH) != 0
      if writableByOthers && (isLast || info.st_mode & S_ISVTX == 0) {
        return Violation(
          path: current, rule: "group or other users may write it, and so replace what a0 reads below it")
      }
    }
    return nil
  }

  /// Why the executable at the real path `path` (no links in it) is unsafe:
  /// the file and every directory above it must be owned by root or the
  /// effective user and not writable by others.
  public static func executableViolation(_ path: String) -> String? {
    if let problem = ancestryViolation(FileIO.parent(of: path)) { return "\(problem.path): \(problem.rule)" }
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      return "\(path) is not a regular file"
    }
    return ownershipViolation(info, geteuid()).map { "\(path): \($0)" }
  }

  private static func ownershipViolation(_ info: stat, _ user: uid_t) -> String? {
    if !isTrustedOwner(info.st_uid, user) {
      return "it is owned by uid \(info.st_uid), neither a0's user (uid \(user)) nor root"
    }
    if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
      return "group or other users may write it (mode \(String(info.st_mode & 0o7777, radix: 8)))"
    }
    return nil
  }
}
