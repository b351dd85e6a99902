import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Creates a new home. Everything is built in a temporary directory beside
/// `.billy/` and appears by one rename, so a crash never leaves a
/// half-initialised home.
public enum HomeInitializer {
  public static let subdirectories = [
    "approvals", "builds", "artifacts", "reports", "shared", "snapshots", "home",
  ]

  public struct Result: Sendable {
    public let paths: HomePaths
    public let config: Config
    public let state: StateRecord
  }

  public static func initialize(
    root: String, upstream: String, link: String, actor: String, clock: any Clock, toolsPath: [String]? = nil,
    interpreter: String? = nil
  ) throws(A0Error) -> Result {
    try checkArguments(upstream: upstream, link: link)
    let paths = HomePaths(root: root)
    try checkPlace(paths)
    let created = !FileIO.exists(root)
    if created { try FileIO.makeDirectory(root) }
    // A home in a directory another user may change would be refused by
    // every later command: say so now, before anything is written.
    if let problem = TrustedPath.ancestryViolation(FileIO.realPath(root) ?? root) {
      if created { rmdir(root) }
      throw HomeTrust.error(problem)
    }
    var config = Config.defaults(upstream: upstream, link: link)
    config.tools.path = toolsPath
    if let interpreter { config.python.interpreter = interpreter }
    let staging = "\(root)/.billy.init-\(getpid())"
    try FileIO.removeTree(staging)
    try FileIO.makeDirectory(staging, mode: 0o755)
    do {
      let state = try write(config, into: staging, actor: actor, clock: clock)
      try FileIO.rename(staging, to: paths.billy)
      try FileIO.fsyncDirectory(root)
      return Result(paths: paths, config: config, state: state)
    } catch {
      try? FileIO.removeTree(staging)
      throw error
    }
  }

  static func checkArguments(upstream: String, link: String) throws(A0Error) {
    guard ConfigRules.isValidUpstreamURL(upstream) else {
      throw A0Error(
        .badInput, "\"\(upstream)\" is not an upstream a0 accepts",
        why:
          "use an https://, ssh://, file:// URL, user@host:path or an absolute path (git runs no other transport)",
        next: "Run `a0 init --upstream https://github.com/agent0ai/agent-zero.git`")
    }
    guard ConfigRules.isValidLinkName(link) else {
      throw A0Error(
        .badInput, "\"\(link)\" is not a valid production link name",
        why: "it must be one plain file name (letters, digits, - _ .), not starting with . or -",
        next: "Pass --name agent-zero, or another plain name")
    }
  }

  /// A new home is never made over or inside another.
  static func checkPlace(_ paths: HomePaths) throws(A0Error) {
    let root = paths.root
    if FileIO.exists(paths.billy) {
      throw A0Error(
        .wrongState, "\(root) already has an a0 home",
        why: "\(paths.billy) exists and init never touches an existing one",
        next: "Use it as it is (`a0 status --home \(root)`), or choose another directory")
    }
    if let outer = HomePaths.enclosingHome(of: root) {
      throw A0Error(
        .badInput, "\(root) is inside the a0 home \(outer)",
        why: "a home inside another would act on its files",
        next: "Choose a directory outside every a0 home")
    }
  }

  /// Every file of a new home, durable, in a staging directory renamed into place after.
  static func write(_ config: Config, into staging: String, actor: String, clock: any Clock) throws(A0Error)
    -> StateRecord
  {
    for name in subdirectories { try FileIO.makeDirectory("\(staging)/\(name)") }
    try FileIO.writeAtomically("\(staging)/config.toml", Array(config.toml.utf8))
    let journal = Journal(path: "\(staging)/upgrade_history.log")
    let now = clock.now()
    var state = StateRecord.initial(at: now)
    let event = try journal.append(
      eventType: "initialized", actor: actor,
      details: [
        "upstream": .string(config.upstream.url), "production_link": .string(config.production.link),
        "state_after": state.stateAfterJSON,
      ],
      at: now)
    state.auditSeq = event.seq
    state.auditHash = event.hash
    try StateStore(path: "\(staging)/state.json").save(state)
    try FileIO.writeAtomically("\(staging)/lock", [])
    for name in subdirectories { try FileIO.fsyncDirectory("\(staging)/\(name)") }
    try FileIO.fsyncDirectory(staging)
    return state
  }
}
