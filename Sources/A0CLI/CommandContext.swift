import A0Core
import A0Lifecycle
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Everything a command needs from the outside, in one value (swiftly's
/// context pattern): the options, the world (clock, HTTP, commands), the
/// terminal, the environment and working directory. The CLI and the MCP
/// server each build one and call the same operations with it.
struct CommandContext {
  let options: GlobalSettings
  let world: World
  let terminal: any Terminal
  let environment: [String: String]
  let workingDirectory: String
  /// `--key` and `--signature`, read before any home is opened or locked.
  let offer: ProofOffer
  /// Where the lifecycle's steps are shown while a command runs.
  let progressView: ProgressView

  init(
    options: GlobalSettings, world: World = .system, terminal: any Terminal = ProcessTerminal(),
    environment: [String: String] = ProcessEnvironment.current,
    workingDirectory: String = FileIO.currentDirectory()
  ) throws(A0Error) {
    self.options = options
    self.world = world
    self.terminal = terminal
    self.environment = environment
    self.workingDirectory = workingDirectory
    let style: ProgressView.Style =
      options.json || options.quiet ? .silent : terminal.isErrorTerminal ? .live : .lines
    progressView = ProgressView(style: style, columns: { [terminal] in terminal.errorColumns })
    offer = try ProofOffer.read(
      keyFile: options.key.map { HomePaths.absolutePath($0, relativeTo: workingDirectory) },
      signatureFile: options.signature.map { HomePaths.absolutePath($0, relativeTo: workingDirectory) })
  }

  var clock: any Clock { world.clock }

  func paths() throws(A0Error) -> HomePaths {
    try HomePaths.discover(
      explicit: options.home, environment: environment, workingDirectory: workingDirectory)
  }

  func openForReading(_ command: String) throws(A0Error) -> Machine {
    let machine = try Machine.openForReading(paths: try paths(), command: "a0 \(command)", world: world)
    machine.frontEnd = options.frontEnd
    NotifyKick.lastHome = NotifyKick.Home(machine)
    return machine
  }

  func openForMutation(_ command: String) throws(A0Error) -> Machine {
    let machine = try Machine.openForMutation(
      paths: try paths(), command: "a0 \(command)", waitSeconds: options.wait, world: world)
    machine.frontEnd = options.frontEnd
    progressView.record(
      to: ProgressFile(path: machine.paths.progress, command: "a0 \(command)", clock: clock))
    NotifyKick.lastHome = NotifyKick.Home(machine)
    return machine
  }

  /// The lifecycle's steps, as `progressView` shows them.
  var progress: ProgressReporter { progressView.reporter }

  /// Runs a command's body, then ends its progress: the live line goes
  /// before anything else is printed, and a follower learns the outcome.
  func watched(_ body: (CommandContext) throws -> any CommandOutput) throws -> any CommandOutput {
    do {
      let output = try body(self)
      progressView.finish(exitCode: 0, message: nil)
      return output
    } catch let error as A0Error {
      progressView.finish(exitCode: error.kind.exitCode, message: error.message)
      throw error
    } catch {
      progressView.finish(exitCode: 1, message: "\(error)")
      throw error
    }
  }

  func proof(_ machine: Machine) -> HumanProof {
    HumanProof(
      config: machine.config, paths: machine.paths, terminal: terminal, isJSON: options.json,
      offer: offer, identity: LoginIdentity.current, signatures: SSHSignatures(runner: machine.runner()))
  }
}
