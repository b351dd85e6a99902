import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// `a0 notify-deliver`: started detached by any a0 command that leaves
/// notifications pending, so no command waits for a notification and none
/// runs inside the lifecycle's lock. One runs at a time (`notify.lock`).
struct NotifyDeliver: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "notify-deliver",
    abstract: "Deliver the pending notifications of [notify] (started by a0 itself).",
    shouldDisplay: false)

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let context = try CommandContext(options: global.settings)
    let paths = try context.paths()
    guard let lock = HomeLock.tryAcquire(path: paths.notifyLock, command: "a0 notify-deliver") else { return }
    defer { lock.release() }
    let machine = try Machine.openForReading(paths: paths, command: "a0 notify-deliver", world: context.world)
    let notifier = machine.notifier()
    // Events journaled while a run delivered are delivered before it ends.
    while notifier.hasPending(journalSeq: (try? machine.journal.readTail().lastEvent?.seq) ?? 0) {
      let delivery = try notifier.deliver(journal: machine.journal) { failure in
        Self.journalFailure(failure, paths: paths, world: context.world)
      }
      if delivery.failure != nil || delivery.delivered.isEmpty { break }
    }
  }

  /// Journals a failed notification, once per run of failures; false when
  /// another a0 holds the home (it is asked again at the next delivery).
  static func journalFailure(_ failure: String, paths: HomePaths, world: World) -> Bool {
    guard
      let machine = try? Machine.openForMutation(
        paths: paths, command: "a0 notify-deliver", waitSeconds: 0, world: world)
    else { return false }
    return
      (try? machine.record(eventType: "notify_failed", actor: "system", details: ["error": .string(failure)]))
      != nil
  }
}

/// Starts `a0 notify-deliver` after a command when notifications wait.
enum NotifyKick {
  /// What the home the command opened last needs to kick a delivery (set by
  /// `CommandContext`). Not the `Machine`: its lock ends with the command.
  struct Home {
    let paths: HomePaths
    let journal: Journal
    let notifier: Notifier
    let children: ChildEnvironment

    init(_ machine: Machine) {
      paths = machine.paths
      journal = machine.journal
      notifier = machine.notifier()
      children = machine.children
    }
  }

  nonisolated(unsafe) static var lastHome: Home?

  static func afterCommand() {
    guard let home = lastHome else { return }
    lastHome = nil
    guard home.notifier.isOn,
      home.notifier.hasPending(journalSeq: (try? home.journal.readTail().lastEvent?.seq) ?? 0),
      let binary = FileIO.readLink("/proc/self/exe")
    else { return }
    try? FileIO.makeDirectory(home.paths.scratch)
    let spec = CommandLineSpec([binary, "notify-deliver", "--home=\(home.paths.root)"], timeoutSeconds: 0)
    // Not marked as this a0's child: the next a0 to take the lock would
    // stop it as an orphan, between running the command and moving the cursor.
    let process = try? BackgroundProcess(
      spec, in: home.children, logPath: home.paths.scratch + "/notify-deliver.log", holderMarked: false)
    process?.release()
  }
}
