import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// SIGINT/SIGTERM/SIGHUP/SIGQUIT during an operation: remembered here, so the
/// running step stops its child process group and the operation fails
/// closed (cleanup, FAILED) instead of dying half-way.
public enum Interrupts {
  nonisolated(unsafe) private static var received: Int32 = 0
  nonisolated(unsafe) private static var childGroup: Int32 = 0
  nonisolated(unsafe) private static var shielded = false

  /// Installs the handlers unconditionally: a background job of a script
  /// inherits these signals as ignored, and must still clean up on them.
  public static func install() {
    // Inherited masks count too: a parent may have blocked them.
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&unblock, signal) }
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { number in
        Interrupts.received = number
        let group = Interrupts.childGroup
        if group > 0 && !Interrupts.shielded { kill(-group, SIGTERM) }
      }
      sigemptyset(&action.sa_mask)
      action.sa_flags = 0
      sigaction(signal, &action, nil)
    }
  }

  /// a0 is never stopped half-way: under sudo the caller may signal its
  /// own sudo process, which passes SIGTSTP on, and a stopped a0 would
  /// keep the home's lock for as long as the caller liked. Children get
  /// the default dispositions back (`Spawn`).
  /// The same for the other signals sudo passes on, which would end a0 at
  /// a moment of the caller's choosing (SIGUSR1, SIGUSR2), and for a closed
  /// output pipe (SIGPIPE: the write fails instead).
  public static func ignoreJobControl() {
    for signal in [SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGPIPE] { Glibc.signal(signal, SIG_IGN) }
  }

  /// Runs `body` with interrupts held back: a rollback must finish whatever
  /// arrives, so its children are not stopped and nothing is pending inside
  /// it; a signal that came meanwhile is pending again afterwards.
  public static func shielding<Value>(_ body: () throws(A0Error) -> Value) throws(A0Error) -> Value {
    let before = shielded
    shielded = true
    defer { shielded = before }
    return try body()
  }

  /// The signal received, or nil (always nil inside `shielding`).
  public static var pending: Int32? { received == 0 || shielded ? nil : received }

  static func setChildGroup(_ group: Int32?) { childGroup = group ?? 0 }

  public static func signalName(_ number: Int32) -> String {
    switch number {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    case SIGQUIT: "SIGQUIT"
    default: "signal \(number)"
    }
  }
}
