import A0Core
import A0Lifecycle
import A0System
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Test hosts for the fleet playbooks under `deploy/ansible/`: each an sshd
/// on its own loopback address (127.0.0.11, .12, …), with its own a0 home
/// for the sample app and its own service port, reached by Ansible over
/// real SSH as root with a throwaway key. The human's key (`alice`) is in
/// every host's allowed_signers; `mallory`'s is in none.
public final class Fleet {
  public struct Host {
    public let name: String
    public let address: String
    public let paths: HomePaths
  }

  public static let sshd = "/usr/sbin/sshd"
  public static var playbooks: String {
    FileIO.parent(of: FileIO.parent(of: SampleApp.examples)) + "/deploy/ansible"
  }

  public let directory: String
  public let hosts: [Host]
  public let keys: SigningKeys
  let inventory: String
  var daemons: [RunningProcess] = []

  public init(in directory: String, count: Int = 4) throws {
    self.directory = directory
    keys = try SigningKeys(in: directory, principals: ["alice", "mallory"])
    // Only alice decides: mallory's key is left out of allowed_signers.
    let signers =
      try String(contentsOfFile: keys.allowedSigners, encoding: .utf8)
      .split(separator: "\n").filter { $0.hasPrefix("alice ") }.joined(separator: "\n") + "\n"
    try signers.write(toFile: keys.allowedSigners, atomically: false, encoding: .utf8)
    let published = try SampleApp.publish(in: directory)
    let client = directory + "/client_key"
    let hostKey = directory + "/host_key"
    for key in [client, hostKey] {
      let made = try ProcessRunner().run(
        CommandLineSpec(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], timeoutSeconds: 30))
      guard made.succeeded else { throw FixtureError(message: made.tail()) }
    }
    try FileManager.default.copyItem(atPath: client + ".pub", toPath: directory + "/authorized_keys")
    try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
    var hosts: [Host] = []
    var lines = ["[fleet]"]
    for index in 1...count {
      let name = "h\(index)"
      let address = "127.0.0.\(10 + index)"
      let paths = try SampleApp.home(in: directory + "/" + name, published: published)
      try TestHome.configure(
        paths, ["humans.proof": "\"ssh-signature\"", "humans.allowed_signers": "\"\(keys.allowedSigners)\""])
      try TestHome.put(paths, state: .idle, authority: .executor)
      let port = try SilentListener.freePort(on: address)
      daemons.append(try Self.startSSHD(directory: directory, name: name, address: address, port: port))
      hosts.append(Host(name: name, address: address, paths: paths))
      lines.append(
        "\(name) ansible_host=\(address) ansible_port=\(port) a0_home=\(paths.root) a0_bin=\(A0Binary.path)")
    }
    self.hosts = hosts
    lines += [
      "", "[fleet:vars]", "ansible_user=root", "ansible_ssh_private_key_file=\(client)",
      "ansible_python_interpreter=/usr/bin/python3",
      "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'",
    ]
    inventory = directory + "/inventory.ini"
    try (lines.joined(separator: "\n") + "\n").write(toFile: inventory, atomically: false, encoding: .utf8)
  }

  deinit {
    for daemon in daemons { kill(daemon.pid, SIGTERM) }
    for host in hosts { SampleApp.stopService(host.paths) }
  }

  /// Runs a playbook of `deploy/ansible/` against the fleet.
  public func play(_ playbook: String, _ arguments: [String] = []) throws -> A0Binary.Result {
    let ansible = TestTools.callerTools.find("ansible-playbook") ?? "ansible-playbook"
    return try A0Binary.runProgram(
      ansible, ["-i", inventory, Self.playbooks + "/" + playbook] + arguments, stdin: "",
      environment: [
        "ANSIBLE_NOCOLOR": "1", "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_LOCAL_TEMP": directory + "/ansible-tmp", "ANSIBLE_HOME": directory + "/ansible-home",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": directory + "/cp", "ANSIBLE_FORKS": "8",
      ])
  }

  /// Stops a host's sshd and its open sessions (Ansible keeps a master
  /// connection open between runs): Ansible can no longer reach the host.
  public func disconnect(_ host: Host) throws {
    guard let index = hosts.firstIndex(where: { $0.name == host.name }) else { return }
    let daemon = daemons[index].pid
    _ = try A0Binary.runProgram(
      "/usr/bin/pkill", ["-TERM", "-P", String(daemon)], stdin: "", environment: [:])
    kill(daemon, SIGTERM)
    _ = daemons[index].wait()
  }

  /// The `a0 status --json` data of a host, read directly.
  public func status(_ host: Host) throws -> JSONValue? { try SampleApp.status(host.paths) }

  /// Makes `version` fail to start on `host`, as a host whose environment
  /// breaks that release: its restart command refuses it; other versions start.
  public func breakRelease(_ version: String, on host: Host) throws {
    let config = try ConfigLoader.load(path: host.paths.config)
    let restart = config.service.restart.map(A0Binary.shellQuote).joined(separator: " ")
    let script =
      "if [ \"$A0_VERSION\" = \(version) ]; then echo this host cannot run \(version) >&2; exit 1; fi; exec \(restart)"
    try TestHome.configure(
      host.paths, ["service.restart": "[\"/bin/sh\", \"-c\", \(TOMLText.quote(script))]"])
  }

  static func startSSHD(directory: String, name: String, address: String, port: UInt16) throws
    -> RunningProcess
  {
    let config = directory + "/sshd-\(name).conf"
    let settings = [
      "ListenAddress \(address):\(port)", "HostKey \(directory)/host_key",
      "PidFile \(directory)/sshd-\(name).pid",
      "AuthorizedKeysFile \(directory)/authorized_keys", "PermitRootLogin prohibit-password",
      "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
      "Subsystem sftp internal-sftp", "MaxStartups 100:30:200", "MaxSessions 50",
    ]
    try (settings.joined(separator: "\n") + "\n").write(toFile: config, atomically: false, encoding: .utf8)
    let daemon = try A0Binary.startProgram(sshd, ["-D", "-e", "-f", config])
    guard SilentListener.waitForListener(address: address, port: port) else {
      kill(daemon.pid, SIGTERM)
      throw FixtureError(message: "sshd for \(name) did not start on \(address):\(port)")
    }
    return daemon
  }
}
