import A0Core
import CA0Shims

#if canImport(Glibc)
  import Glibc
#endif

/// Starts a program in its own process group (so a timeout or a stop can
/// end all of it), with default signal handling and an empty signal mask
/// whatever a0 inherited, and the given descriptors as stdin, stdout and
/// stderr. The one place a0 creates processes.
enum Spawn {
  static func start(
    _ spec: CommandLineSpec, in environment: ChildEnvironment, stdin: Int32, stdout: Int32, stderr: Int32
  ) throws(A0Error) -> pid_t {
    guard let name = spec.arguments.first, !name.isEmpty else {
      throw A0Error(.badInput, "an empty command cannot be run")
    }
    // Found by a0 on the home's search path, never by posix_spawnp on the caller's PATH.
    let program = try environment.locate(name, workingDirectory: spec.workingDirectory)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    if let directory = spec.workingDirectory { a0_spawn_addchdir(&actions, directory) }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2] {
      sigaddset(&defaults, signal)
    }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(
      &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let argv = spec.arguments.map { strdup($0) } + [nil]
    let envp =
      environment.variables(adding: spec.environment).sorted { $0.key < $1.key }.map {
        strdup("\($0.key)=\($0.value)")
      } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
    guard status == 0 else {
      throw A0Error(
        .operationFailed, "cannot start \(program)", why: FileIO.errnoText(status),
        next: "Check that \(program) is installed and executable")
    }
    return pid
  }

  /// A wait status as a shell reports it: the exit code, or 128 + the
  /// signal that ended the process.
  static func exitStatus(_ waitStatus: Int32) -> Int32 {
    terminatingSignal(waitStatus).map { 128 + $0 } ?? (waitStatus >> 8) & 0xFF
  }

  static func terminatingSignal(_ waitStatus: Int32) -> Int32? {
    waitStatus & 0x7F == 0 ? nil : waitStatus & 0x7F
  }

  /// Waits for `pid` to exit and reaps it; its wait status, or nil if it is
  /// still running at `deadline` (monotonic milliseconds). A child is
  /// reapable a few microseconds after its output closes, so the first
  /// checks come fast and the pause grows to 10 ms only for a slow exit.
  static func reap(_ pid: pid_t, deadline: Int64) -> Int32? {
    var status: Int32 = 0
    var pause: useconds_t = 100
    while true {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid { return status }
      if result < 0 && errno != EINTR { return 0 }
      let now = monotonicMilliseconds()
      if now >= deadline { return nil }
      // In milliseconds first: `deadline` may be .max.
      usleep(useconds_t(min(Int64(pause), min(deadline - now, 10) * 1000)))
      pause = min(pause * 2, 10_000)
    }
  }
}
