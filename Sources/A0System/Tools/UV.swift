/// uv, modelled: a0's own cache, no progress bars, and `--no-config` on
/// every run, so no configuration file of the release or the user chooses
/// sources or options — a0's arguments are the whole install.
public struct UV: Sendable {
  public let path: String
  public let cacheDirectory: String

  public init(path: String, cacheDirectory: String) {
    self.path = path
    self.cacheDirectory = cacheDirectory
  }

  /// uv on a0's tool path, if it is there.
  public static func find(in tools: ChildEnvironment, cacheDirectory: String) -> UV? {
    tools.find("uv").map { UV(path: $0, cacheDirectory: cacheDirectory) }
  }

  func environment(venv: String?) -> [String: String] {
    var variables = ["UV_CACHE_DIR": cacheDirectory, "UV_NO_PROGRESS": "1"]
    variables["VIRTUAL_ENV"] = venv
    return variables
  }

  /// A relocatable venv for `interpreter`.
  public func createVenv(
    interpreter: String, at venv: String, workingDirectory: String, timeoutSeconds: Double
  )
    -> CommandLineSpec
  {
    CommandLineSpec(
      [path, "venv", "--quiet", "--no-config", "--relocatable", "--python", interpreter, "--", venv],
      environment: environment(venv: venv), workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds
    )
  }

  /// Resolves every requirement file in one resolution, the overrides
  /// winning, into `output`: every package pinned, with its files' hashes.
  public func compile(
    interpreter: String, requirementFiles: [String], overrides: [String], sourceArguments: [String],
    output: String, venv: String, workingDirectory: String, timeoutSeconds: Double
  ) -> CommandLineSpec {
    CommandLineSpec(
      [
        path, "pip", "compile", "--no-config", "--quiet", "--python", interpreter, "--no-header",
        "--no-annotate", "--generate-hashes", "--output-file", output,
      ] + sourceArguments + overrides.flatMap { ["--overrides", $0] } + ["--"] + requirementFiles,
      environment: environment(venv: venv), workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds
    )
  }

  /// Installs exactly the resolved set, checking every hash, and writes
  /// the venv's bytecode on all cores (as pip does by default).
  public func sync(
    python: String, resolved: String, sourceArguments: [String], venv: String, workingDirectory: String,
    timeoutSeconds: Double
  ) -> CommandLineSpec {
    CommandLineSpec(
      [
        path, "pip", "sync", "--no-config", "--python", python, "--link-mode", "copy", "--compile-bytecode",
        "--require-hashes",
      ] + sourceArguments + ["--", resolved], environment: environment(venv: venv),
      workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds)
  }

  /// Exits non-zero when an installed package's requirements are not met.
  public func check(python: String, workingDirectory: String, timeoutSeconds: Double) -> CommandLineSpec {
    CommandLineSpec(
      [path, "pip", "check", "--no-config", "--python", python], environment: environment(venv: nil),
      workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds)
  }
}
