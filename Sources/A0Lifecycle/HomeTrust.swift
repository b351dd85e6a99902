import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Whether a0 may act on a home at all (DESIGN.md §3, "Trust"): only if
/// no other user could have made it or could change it. Checked before
/// anything in the home is read or run; a violation is exit 5, naming the
/// path and the rule, and nothing is journaled (the journal is what is in
/// doubt). `a0 doctor` lists every violation instead of stopping at one.
public enum HomeTrust {
  public typealias Violation = TrustedPath.Violation

  /// Checks the home; exit 5 naming the first violation.
  public static func verify(_ paths: HomePaths) throws(A0Error) {
    if let first = violations(paths).first { throw error(first) }
  }

  /// Checks the allowed signers file the configuration names; exit 5.
  public static func verifySigners(_ paths: HomePaths, _ config: Config) throws(A0Error) {
    if let first = signerViolations(paths, config).first { throw error(first) }
  }

  /// The home directory and every directory above it, `.billy/`, and each
  /// control file and directory that exists (config.toml must).
  /// `user`: whom a0 runs as; `a0 doctor` asks on behalf of the home's owner.
  public static func violations(_ paths: HomePaths, user: uid_t = geteuid()) -> [Violation] {
    if let problem = TrustedPath.ancestryViolation(paths.root, user: user) { return [problem] }
    if let rule = TrustedPath.controlViolation(paths.billy, kind: .directory, required: true, user: user) {
      return [Violation(path: paths.billy, rule: rule)]
    }
    var found: [Violation] = []
    for file in paths.controlFiles {
      if let rule = TrustedPath.controlViolation(
        file, kind: .regularFile, required: file == paths.config, user: user)
      {
        found.append(Violation(path: file, rule: rule))
      }
    }
    for directory in paths.controlDirectories {
      if let rule = TrustedPath.controlViolation(directory, kind: .directory, user: user) {
        found.append(Violation(path: directory, rule: rule))
      }
    }
    return found
  }

  /// The allowed signers file: the same rule, and every directory above it
  /// too when it lives outside `.billy/`.
  public static func signerViolations(_ paths: HomePaths, _ config: Config, user: uid_t = geteuid())
    -> [Violation]
  {
    let signers = paths.allowedSigners(config)
    if let problem = TrustedPath.ancestryViolation(FileIO.parent(of: signers), user: user) {
      return [problem]
    }
    return TrustedPath.controlViolation(signers, kind: .regularFile, user: user).map {
      [Violation(path: signers, rule: $0)]
    } ?? []
  }

  public static func error(_ violation: Violation) -> A0Error {
    A0Error(
      .integrityViolation, "a0 does not trust \(violation.path)", why: violation.rule,
      next: "A home is trusted only if no other user could have made or changed it: .billy/ and its "
        + "files must be real files and directories owned by a0's user, not writable by group or others, "
        + "in directories only that user or root may write. Fix the path (chown/chmod), or pass the right --home"
    )
  }
}
