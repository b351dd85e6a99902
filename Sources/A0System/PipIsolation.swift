/// pip reads configuration files (global, user, and the venv's own
/// `pip.conf`) that could name another index or other options than a0's.
/// `PIP_CONFIG_FILE=/dev/null` makes it load none of them, and every pip
/// run also passes `--isolated`, which ignores `PIP_*` variables — a0's
/// arguments are the whole install, as `--no-config` makes them for uv.
public enum PipIsolation {
  public static let environment: [String: String] = ["PIP_CONFIG_FILE": "/dev/null", "PIP_NO_INPUT": "1"]
}
