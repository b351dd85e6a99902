/// pip, modelled, run as the venv's own module.
///
/// pip reads configuration files (global, user, and the venv's own
/// `pip.conf`) that could name another index or other options than a0's.
/// `PIP_CONFIG_FILE=/dev/null` makes it load none of them, and every pip
/// run also passes `--isolated`, which ignores `PIP_*` variables — a0's
/// arguments are the whole install, as `--no-config` makes them for uv.
public enum Pip {
  public static let environment: [String: String] = ["PIP_CONFIG_FILE": "/dev/null", "PIP_NO_INPUT": "1"]

  static let isolation = ["--isolated", "--disable-pip-version-check"]

  /// Installs the requirement files into the venv of `python`;
  /// `sourceArguments` are a0's index and wheel policy.
  public static func install(
    python: String, requirementFiles: [String], sourceArguments: [String], workingDirectory: String,
    timeoutSeconds: Double
  ) -> CommandLineSpec {
    CommandLineSpec(
      [python, "-m", "pip", "install"] + isolation + ["--no-input", "--no-cache-dir"] + sourceArguments
        + requirementFiles.flatMap { ["-r", $0] }, environment: environment,
      workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds)
  }

  /// Exits non-zero when an installed package's requirements are not met.
  public static func check(python: String, workingDirectory: String, timeoutSeconds: Double)
    -> CommandLineSpec
  {
    CommandLineSpec(
      [python, "-I", "-m", "pip", "check"] + isolation, environment: environment,
      workingDirectory: workingDirectory, timeoutSeconds: timeoutSeconds)
  }
}
