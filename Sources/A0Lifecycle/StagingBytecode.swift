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
    let script = """
      import os, sys
      try:
          from _frozen_importlib_external import (
              _calc_mode, _code_to_timestamp_pyc, _write_atomic, cache_from_source)
          def compile_file(path):
              pyc = cache_from_source(path)
              if os.path.islink(pyc) or (os.path.exists(pyc) and not os.path.isfile(pyc)):
                  raise OSError("%s is not a regular file" % pyc)
              with open(path, "rb") as source:
                  stats = os.fstat(source.fileno())
                  data = source.read()
              code = compile(data, path, "exec", dont_inherit=True)
              os.makedirs(os.path.dirname(pyc), exist_ok=True)
              _write_atomic(pyc, _code_to_timestamp_pyc(code, stats.st_mtime, stats.st_size), _calc_mode(path))
      except ImportError:
          import py_compile
          def compile_file(path):
              try:
                  py_compile.compile(path, doraise=True)
              except py_compile.PyCompileError as error:
                  raise SyntaxError(error.msg)
      root = sys.argv[1]
      errors = 0
      for directory, dirs, files in os.walk(root):
          dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))
                     and not (directory == root and d in (".git", ".venv"))]
          cache = os.path.join(directory, "__pycache__")
          if os.path.islink(cache) or (os.path.lexists(cache) and not os.path.isdir(cache)):
              errors += sum(1 for name in files if name.endswith(".py"))
              print("%s is not a directory of the release: nothing is compiled beside it" % cache, file=sys.stderr)
              continue
          for name in files:
              path = os.path.join(directory, name)
              if name.endswith(".py") and not os.path.islink(path):
                  try:
                      compile_file(path)
                  except (SyntaxError, ValueError, OSError) as error:
                      errors += 1
                      print("%s: %s" % (path, error), file=sys.stderr)
      print(errors, "files did not compile")
      """
    let spec = Python.program(
      interpreter, script, arguments: [app], withoutSite: true, workingDirectory: app,
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
