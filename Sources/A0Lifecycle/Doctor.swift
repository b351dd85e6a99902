import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// The trust boundary check (DESIGN.md §5): which of a0's paths the agent's
/// user could write, and whether humans prove themselves with signatures.
public enum Doctor {
  public struct Finding: Sendable {
    public var path: String
    public var writers: [String]
  }

  public struct Report: Sendable {
    public var proofMode: Config.ProofMode
    public var agentUser: String?
    /// No agent user was named: the caller was checked as the agent, the
    /// usual install where Agent Zero and a0 share one user.
    public var agentUserAssumed = false
    public var findings: [Finding]
    public var problems: [String]
    public var isSecure: Bool { problems.isEmpty }
  }

  struct Account {
    var name: String
    var uid: uid_t
    var groups: Set<gid_t>

    static func named(_ name: String) -> Account? {
      guard let entry = getpwnam(name) else { return nil }
      let uid = entry.pointee.pw_uid
      let primary = entry.pointee.pw_gid
      var count: Int32 = 64
      var groups = [gid_t](repeating: 0, count: 64)
      if getgrouplist(name, primary, &groups, &count) < 0 {
        groups = [gid_t](repeating: 0, count: Int(count))
        _ = getgrouplist(name, primary, &groups, &count)
      }
      return Account(name: name, uid: uid, groups: Set(groups.prefix(Int(max(0, count)))).union([primary]))
    }

    /// Whether this account may replace `path`: write the file itself, or
    /// write its directory (and so rename something over it).
    func canWrite(_ path: String) -> Bool {
      if uid == 0 { return true }
      return writable(path) || writable(FileIO.parent(of: path))
    }

    private func writable(_ path: String) -> Bool {
      var info = stat()
      guard stat(path, &info) == 0 else { return false }
      if info.st_uid == uid { return info.st_mode & S_IWUSR != 0 }
      if groups.contains(info.st_gid) { return info.st_mode & S_IWGRP != 0 }
      return info.st_mode & S_IWOTH != 0
    }
  }

  /// Without `--agent-user`: the caller, as the user Agent Zero runs as —
  /// or, under sudo, the user who ran sudo. Never root, which can write
  /// everything and so tells nothing.
  static func callerAsAgent() -> String? {
    let uid = getuid()
    if uid != 0 { return getpwuid(uid).map { String(cString: $0.pointee.pw_name) } }
    guard let sudoUser = getenv("SUDO_USER").map({ String(cString: $0) }), sudoUser != "root",
      getpwnam(sudoUser) != nil
    else { return nil }
    return sudoUser
  }

  /// Judged for the home's owner (the user of `.billy/`), whoever runs it,
  /// so root can check a home it would not itself act on. `sudoRules`:
  /// what `sudo -l -U AGENT` printed, when it could be read. Without an
  /// agent user, the caller is checked as the agent's user.
  public static func examine(
    paths: HomePaths, config: Config, agentUser named: String?, binary: String, sudoRules: String? = nil
  ) throws(A0Error) -> Report {
    let agentUser = named ?? callerAsAgent()
    let signers = paths.allowedSigners(config)
    let watched =
      ([paths.root, paths.billy, signers, binary] + paths.controlFiles + paths.controlDirectories
      + (config.tools.path ?? ChildEnvironment.safeSearchPath)).filter { FileIO.exists($0) }
    var info = stat()
    let owner = stat(paths.billy, &info) == 0 ? info.st_uid : geteuid()
    let ownerName = getpwuid(owner).map { String(cString: $0.pointee.pw_name) } ?? "uid\(owner)"
    var accounts: [Account] = []
    if let account = Account.named(ownerName) { accounts.append(account) }
    var problems: [String] = []
    let untrusted =
      HomeTrust.violations(paths, user: owner)
      + (config.humans.proof == .sshSignature ? HomeTrust.signerViolations(paths, config, user: owner) : [])
    problems += untrusted.map { "a0 does not trust \($0.path): \($0.rule)" }
    if let sudoRules {
      problems += SudoRules(parsing: sudoRules).problems(owner: ownerName, binary: binary, home: paths.root)
    } else if named != nil {
      problems.append(
        "the agent's sudo rules could not be read: run doctor as root, or pass --sudo-rules FILE with "
          + "what `sudo -l -U AGENT` prints")
    }
    if let agentUser {
      guard let agent = Account.named(agentUser) else {
        throw A0Error(
          .badInput, "there is no user \(agentUser)", next: "Pass the Unix user the agent runs as")
      }
      if agent.name != ownerName { accounts.append(agent) }
    } else {
      problems.append("the agent's Unix user is unknown (doctor ran as root): pass --agent-user NAME")
    }
    var findings: [Finding] = []
    for path in watched {
      let writers = accounts.filter { $0.canWrite(path) }.map(\.name)
      findings.append(Finding(path: path, writers: writers))
      if let agentUser, writers.contains(agentUser) {
        problems.append("the agent's user \(agentUser) can write \(path)")
      }
    }
    if config.humans.proof == .tty {
      problems.append(
        "humans.proof is \"tty\": a program can fake a terminal; set humans.proof = \"ssh-signature\"")
    } else if !FileIO.exists(signers) {
      problems.append("humans.allowed_signers (\(signers)) does not exist")
    }
    if let agentUser, agentUser == ownerName {
      problems.append("a0 runs as the agent's own user \(agentUser); run it as a dedicated user through sudo")
    }
    return Report(
      proofMode: config.humans.proof, agentUser: agentUser, agentUserAssumed: named == nil,
      findings: findings, problems: problems)
  }
}
