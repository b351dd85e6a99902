import A0Core
import A0Lifecycle
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Everything a command needs from the outside, in one value (swiftly's
/// context pattern): options, clock, terminal, environment.
struct CommandContext {
  let options: GlobalSettings
  let clock: any Clock
  let terminal: any Terminal
  /// `--key` and `--signature`, read before any home is opened or locked.
  let offer: ProofOffer

  init(
    options: GlobalSettings, clock: any Clock = SystemClock(), terminal: any Terminal = ProcessTerminal()
  ) throws(A0Error) {
    self.options = options
    self.clock = clock
    self.terminal = terminal
    let directory = FileIO.currentDirectory()
    offer = try ProofOffer.read(
      keyFile: options.key.map { HomePaths.absolutePath($0, relativeTo: directory) },
      signatureFile: options.signature.map { HomePaths.absolutePath($0, relativeTo: directory) })
  }

  var environment: [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      pointer += 1
    }
    return result
  }

  func paths() throws(A0Error) -> HomePaths {
    try HomePaths.discover(
      explicit: options.home, environment: environment, workingDirectory: FileIO.currentDirectory())
  }

  func openForReading(_ command: String) throws(A0Error) -> Machine {
    let machine = try Machine.openForReading(paths: try paths(), command: "a0 \(command)", clock: clock)
    machine.frontEnd = options.frontEnd
    return machine
  }

  func openForMutation(_ command: String) throws(A0Error) -> Machine {
    let machine = try Machine.openForMutation(
      paths: try paths(), command: "a0 \(command)", waitSeconds: options.wait, clock: clock)
    machine.frontEnd = options.frontEnd
    return machine
  }

  /// Progress lines on stderr, only for a person watching a terminal.
  var progress: (String) -> Void {
    let show = !options.json && terminal.isErrorTerminal
    return { line in if show { FileHandleOutput.standardError.writeWithoutWaiting("… \(line)\n") } }
  }

  func proof(_ machine: Machine) -> HumanProof {
    HumanProof(
      config: machine.config, paths: machine.paths, terminal: terminal, isJSON: options.json,
      offer: offer, identity: LoginIdentity.current, signatures: SSHSignatures(runner: machine.runner()))
  }
}
