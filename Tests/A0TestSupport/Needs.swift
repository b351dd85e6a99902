import A0System
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What some tests need beyond the README's requirements. On a developer's
/// machine a test whose need is missing is skipped, saying why; under CI
/// (`CI=true`, set by CI and `.ci/run`'s caller) it runs anyway, so a
/// missing tool fails loudly instead of silently shrinking the suite.
public enum Needs {
  public static var underCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// A tool on the caller's PATH.
  public static func tool(_ name: String) -> Bool { underCI || TestTools.callerTools.find(name) != nil }

  /// A Python module importable by `python3`.
  public static func pythonModule(_ name: String) -> Bool {
    underCI
      || ((try? ProcessRunner(environment: TestTools.callerTools).run(
        CommandLineSpec(["python3", "-c", "import " + name], timeoutSeconds: 30)))?
        .succeeded ?? false)
  }

  /// Root: the test creates Unix users, sudo rules or mounts.
  public static var root: Bool { underCI || getuid() == 0 }

  public static let uvReason = "needs uv on PATH (python3 -m pip install uv); CI installs it"
  public static let mcpReason =
    "needs the Python MCP client (python3 -m pip install mcp==1.22.0, as Agent Zero pins it); CI installs it"
  public static let ansibleReason =
    "needs root, Debian's openssh-server (/usr/sbin/sshd) and ansible-playbook on PATH "
    + "(python3 -m pip install ansible-core); CI installs them"
  public static let appriseReason =
    "needs apprise on PATH (python3 -m pip install apprise); CI installs it beside ansible-core"
  public static let systemdReason = "needs systemd-analyze (Debian's systemd); CI installs it"
  public static let rootReason =
    "needs root (creates Unix users, sudo rules or mounts); CI runs as root"
}
