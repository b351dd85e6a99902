import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// Staging's bytecode pass over the release's own sources, run beside
/// the install.
extension Stager {
  /// The bytecode pass, running in the background; see `startPrecompile`.
  struct Precompile {
    let process: BackgroundProcess
    let spec: CommandLineSpec
    let startedAt: Int64
  }

  /// Best effort: compile errors are logged, and validation's import check
  /// reports them. Symlinked directories (user data) are never entered,
  /// and nothing is written through a `__pycache__` that is a link (the
  /// tree hash skips it, and it could lead into the user data).
  /// With `-I -S` the base interpreter the venv is made from writes the
  /// same bytecode as the venv's, so the pass needs no venv yet.
  /// The script calls the functions `py_compile.compile` is made of, from
  /// the import system the interpreter has already loaded: importing
  /// `py_compile` itself (enum, traceback, tokenize, re) triples the pass's
  /// start-up, and it runs beside the venv copy on the same cores. An
  /// interpreter without them gets `py_compile`.
  func startPrecompile(app: String, interpreter: String, buildPath: String) -> Precompile? {
    let spec = Python.program(
      interpreter, PythonPrograms.precompile, arguments: [app], withoutSite: true, workingDirectory: app,
      timeoutSeconds: Double(config.validation.checkTimeoutSeconds))
    guard
      let process = try? BackgroundProcess(spec, in: machine.children, logPath: buildPath + "/precompile.log")
    else {
      return nil
    }
    children.addBackground(process.pid)
    return Precompile(process: process, spec: spec, startedAt: monotonicMilliseconds())
  }

  /// Waits for the bytecode pass within its timeout, and moves its output
  /// into the build log.
  func finishPrecompile(_ running: Precompile?, log: BuildLog?) {
    guard let running else {
      log?.note("precompiling could not start; the release runs from its sources")
      return
    }
    let deadline = running.startedAt + Int64(running.spec.timeoutSeconds * 1000)
    let status = running.process.waitForExit(deadline: deadline)
    if status == nil { running.process.stop() }
    children.removeBackground(running.process.pid)
    log?.command(
      running.spec, outputs: [running.process.outputTail(bytes: 64 * 1024)],
      outcome: status.map { "exit \($0)" } ?? "timed out",
      durationMilliseconds: monotonicMilliseconds() - running.startedAt)
    try? FileIO.removeTree(running.process.logPath)
  }
}
