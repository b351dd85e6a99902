/// The Python interpreter, modelled: the venvs a0 creates and the programs
/// it runs with a release's Python, each built here as an argument array.
public enum Python {
  /// `python -m venv`; without pip when nothing will be installed into it.
  public static func createVenv(
    interpreter: String, at venv: String, withPip: Bool, workingDirectory: String, timeoutSeconds: Double
  ) -> CommandLineSpec {
    CommandLineSpec(
      [interpreter, "-m", "venv"] + (withPip ? [] : ["--without-pip"]) + ["--", venv],
      workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds)
  }

  /// Prints the interpreter's version (`3.12.1`), reading no site packages.
  public static func version(_ python: String, timeoutSeconds: Double = 60) -> CommandLineSpec {
    CommandLineSpec(
      [python, "-I", "-S", "-c", "import sys; print(sys.version.split()[0])"], timeoutSeconds: timeoutSeconds)
  }

  /// Exits 0 when the interpreter is at least `major.minor`.
  public static func isAtLeast(_ python: String, major: Int, minor: Int, timeoutSeconds: Double = 20)
    -> CommandLineSpec
  {
    CommandLineSpec(
      [
        python, "-I", "-S", "-c",
        "import sys; sys.exit(0 if sys.version_info >= (\(major), \(minor)) else 1)",
      ],
      timeoutSeconds: timeoutSeconds)
  }

  /// One of a0's own programs, isolated (`-I`: no user site, no
  /// `PYTHON*` variables, no script directory on the path). Every value
  /// travels in `arguments`, never inside the program's text.
  public static func program(
    _ python: String, _ source: String, arguments: [String], withoutSite: Bool = false,
    environment: [String: String] = [:], workingDirectory: String, timeoutSeconds: Double
  ) -> CommandLineSpec {
    CommandLineSpec(
      [python, "-I"] + (withoutSite ? ["-S"] : []) + ["-c", source] + arguments, environment: environment,
      workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds)
  }
}
