import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// The secure deployment exactly as the README documents it: `.billy/`
/// owned by a dedicated user, the agent's user calling a0 through the
/// documented sudo rule (home pinned, environment reset), humans proving
/// themselves with ssh signatures. Every attack runs as the agent's user.
private final class Deployment {
  let scratch = ScratchDirectory("a0sudo")
  let binary: String
  let home: String
  let upstream: UpstreamFixture
  let operatorKeys: SigningKeys
  let sudoers: String
  // Users of its own: doctor's other tests list the agent's sudo rules too.
  let owner = "a0svc"
  let agent = "a0bot"

  init() throws {
    chmod(scratch.path, 0o755)
    for user in [owner, agent] { try UnixUsers.ensure(user) }
    // The binary where both users can run it and neither can change it.
    let bin = scratch.path + "/bin"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    binary = bin + "/a0"
    try FileIO.copyFile(from: A0Binary.path, to: binary, mode: 0o755)
    // git refuses a local repository of another user; a real upstream is https.
    upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1"])
    try UnixUsers.run(["chown", "-R", owner, upstream.root])
    home = scratch.path + "/home"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    try UnixUsers.run(["chown", owner, home])
    let initialised = try UnixUsers.run([
      "sudo", "-u", owner, binary, "init", "--upstream", upstream.bare, "--home", home,
    ])
    guard initialised.succeeded else { throw FixtureError(message: initialised.tail()) }
    operatorKeys = try SigningKeys(in: scratch.path + "/operator", principals: ["alice"])
    let paths = HomePaths(root: home)
    try FileIO.copyFile(from: operatorKeys.allowedSigners, to: paths.billy + "/allowed_signers", mode: 0o644)
    try UnixUsers.run(["chown", owner, paths.billy + "/allowed_signers"])
    try TestHome.configure(paths, ["humans.proof": "\"ssh-signature\""])
    try UnixUsers.run(["chown", owner, paths.config])
    // The README's rule, word for word but for the paths.
    sudoers = "/etc/sudoers.d/a0-test-\(getpid())"
    try Self.installRule(
      at: sudoers,
      """
      Defaults:\(agent) env_reset, secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      \(agent) ALL=(\(owner)) NOPASSWD: \(binary) --home \(home) *
      """)
  }

  deinit { unlink(sudoers) }

  static func installRule(at path: String, _ text: String) throws {
    try (text + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    chmod(path, 0o440)
    let check = try UnixUsers.run(["visudo", "-cf", path])
    guard check.succeeded else {
      unlink(path)
      throw FixtureError(message: "sudoers: \(check.tail())")
    }
  }

  var paths: HomePaths { HomePaths(root: home) }
  /// What must not change when an attack is refused.
  var evidence: String { TestHome.read(paths.journal) + TestHome.read(paths.state) }

  /// The agent's user runs `sudo -n -u OWNER …`, with whatever environment it likes.
  func agentSudo(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return try UnixUsers.run(
      ["runuser", "-u", agent, "--", "env"] + assignments + ["sudo", "-n", "-u", owner] + arguments)
  }

  /// The agent through the rule: `a0 --home HOME …`.
  func agentA0(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try agentSudo([binary, "--home", home] + arguments + ["--json"], environment: environment)
  }

  /// A directory of the agent's own.
  func agentDirectory(_ name: String) throws -> String {
    let directory = scratch.path + "/" + name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o755)
    try UnixUsers.run(["chown", "-R", agent, directory])
    return directory
  }

  /// The operator signs what a0 asks to be signed, off the host in real life.
  func operatorSignature(for arguments: [String]) throws -> String {
    let payload = try UnixUsers.run(
      ["runuser", "-u", owner, "--", binary, "--home", home] + arguments + ["--print-payload"])
    guard payload.succeeded else { throw FixtureError(message: payload.tail()) }
    let directory = scratch.path + "/signing"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o755)
    let file = directory + "/payload"
    try payload.stdoutText.write(toFile: file, atomically: false, encoding: .utf8)
    unlink(file + ".sig")
    let signed = try UnixUsers.run([
      "ssh-keygen", "-q", "-Y", "sign", "-f", operatorKeys.key("alice"), "-n", "a0", file,
    ])
    guard signed.succeeded else { throw FixtureError(message: signed.tail()) }
    chmod(file + ".sig", 0o644)
    return file + ".sig"
  }
}

private func errorCode(_ result: ProcessResult) -> String? {
  (try? JSONValue.parse(result.stdout))?["error"]?["code"]?.stringValue
}

@Suite("the secure deployment under sudo, attacked as the agent", .serialized)
struct SudoDeploymentTests {
  @Test(
    "every attack through the documented sudo rule is refused; the human's decisions still work",
    .enabled(if: Needs.root, Comment(rawValue: Needs.rootReason)))
  func attacksThroughSudo() throws {
    try #require(getuid() == 0, "this test creates users and sudo rules and needs root")
    try #require(ChildEnvironment().find("sudo") != nil, ".ci/run installs sudo from Debian")
    let deployment = try Deployment()
    let paths = deployment.paths

    // The agent's allowed path works: it looks and requests.
    #expect(try deployment.agentA0(["status"]).status == 0)
    #expect(try deployment.agentA0(["request-upgrade", "v1.1"]).status == 0)
    let requested = deployment.evidence

    // Another home than the pinned one: sudo refuses the command line.
    let crafted = try deployment.agentDirectory("crafted")
    let otherHome = try deployment.agentSudo([deployment.binary, "--home", crafted, "status"])
    #expect(otherHome.status == 1 && otherHome.stderrText.contains("sudo"), "\(otherHome.tail())")
    // Naming a second home after the pinned one: a0 refuses the arguments.
    let twice = try deployment.agentA0(["status", "--home", crafted])
    #expect(twice.status == 64 && errorCode(twice) == "usage", "\(twice.tail())")
    // Choosing the home through the environment: sudo refuses to pass it.
    let variable = try deployment.agentSudo([
      "A0_HOME=\(crafted)", deployment.binary, "--home", deployment.home, "status",
    ])
    #expect(variable.status == 1, "\(variable.tail())")
    // A home argument that starts with the pinned one and a space matches
    // the rule (sudo joins the arguments with spaces): a0 refuses it, and
    // init never runs on a pinned home, where it could make a home of the agent's.
    let escaping = deployment.home + " /../" + FileIO.baseName(of: deployment.home) + "/sub"
    for command in [["status"], ["init", "--upstream", deployment.upstream.bare]] {
      let escaped = try deployment.agentSudo([deployment.binary, "--home", escaping] + command + ["--json"])
      #expect(escaped.status == 64 && errorCode(escaped) == "usage", "\(command): \(escaped.tail())")
    }
    let reinit = try deployment.agentA0(["init", "--upstream", crafted])
    #expect(reinit.status == 64, "\(reinit.tail())")
    #expect(!FileManager.default.fileExists(atPath: deployment.home + "/sub"))
    #expect(deployment.evidence == requested)

    // Its own key, a fake ssh-keygen first on its PATH, a ~/.gitconfig
    // with a URL rewrite and an askpass program: a refused signature
    // (journaled, as the contract says), and nothing of the agent's runs.
    let tools = try deployment.agentDirectory("tools")
    let marker = tools + "/ran"
    let fake = "#!/bin/sh\ntouch \(marker)\necho alice\nexit 0\n"
    for name in ["ssh-keygen", "git"] {
      try fake.write(toFile: tools + "/" + name, atomically: false, encoding: .utf8)
      chmod(tools + "/" + name, 0o755)
    }
    try """
    [core]
    \taskPass = \(tools)/git
    \thooksPath = \(tools)
    [url "https://127.0.0.1:1/"]
    \tinsteadOf = \(deployment.upstream.bare)
    """.write(toFile: tools + "/.gitconfig", atomically: false, encoding: .utf8)
    let hostile = ["PATH": tools + ":/usr/bin:/bin", "HOME": tools, "XDG_CONFIG_HOME": tools]
    let agentKeys = try SigningKeys(in: tools + "/own", principals: ["alice"])
    try UnixUsers.run(["chown", "-R", deployment.agent, tools])
    // The agent signs what a0 asks with a key of its own, named as a signer it is not.
    let payload = try deployment.agentA0(["approve", "v1.1", "--print-payload"])
    let forged = tools + "/payload"
    try ((try JSONValue.parse(payload.stdout))["data"]?["payload"]?.stringValue ?? "").write(
      toFile: forged, atomically: false, encoding: .utf8)
    let signed = try UnixUsers.run([
      "ssh-keygen", "-q", "-Y", "sign", "-f", agentKeys.key("alice"), "-n", "a0", forged,
    ])
    #expect(signed.succeeded)
    try UnixUsers.run(["chown", "-R", deployment.agent, tools])
    let ownKey = try deployment.agentA0(
      ["approve", "v1.1", "--signature", forged + ".sig"], environment: hostile)
    #expect(ownKey.status == 3 && errorCode(ownKey) == "authority_denied", "\(ownKey.tail())")
    let events = try TestHome.journalEvents(paths)
    #expect(events.last?.eventType == "unauthorized_attempt")
    let checked = try deployment.agentA0(["check-updates"], environment: hostile)
    #expect(checked.status == 0, "the upstream was not rewritten: \(checked.tail())")
    #expect(!FileManager.default.fileExists(atPath: marker), "a program of the agent's ran as a0's user")
    let afterAttempt = deployment.evidence

    // A FIFO as the signature: refused at once, before the lock.
    let fifo = tools + "/signature"
    #expect(mkfifo(fifo, 0o666) == 0)
    try UnixUsers.run(["chown", deployment.agent, fifo])
    let started = Date()
    let stalled = try deployment.agentA0(["approve", "v1.1", "--signature", fifo])
    #expect(stalled.status == 65 && errorCode(stalled) == "bad_input", "\(stalled.tail())")
    #expect(Date().timeIntervalSince(started) < 10)

    // The crafted home, if a looser rule let a0 run on it as its owner:
    // a0's own check refuses it before reading anything.
    let billy = crafted + "/.billy"
    try FileManager.default.createDirectory(atPath: billy, withIntermediateDirectories: true)
    try TestHome.read(paths.config).write(toFile: billy + "/config.toml", atomically: false, encoding: .utf8)
    try FileIO.copyFile(from: agentKeys.allowedSigners, to: billy + "/allowed_signers", mode: 0o644)
    for name in ["upgrade_history.log", "state.json", "lock", "approvals", "builds", "artifacts", "shared"] {
      symlink(paths.billy + "/" + name, billy + "/" + name)
    }
    try UnixUsers.run(["chown", "-R", "-h", deployment.agent, crafted])
    for command in [
      ["grant", "executor", "--bootstrap", "--reason", "mine", "--signature", forged + ".sig"],
      ["approve", "v1.1", "--signature", forged + ".sig"], ["status"],
    ] {
      let result = try UnixUsers.run(
        ["runuser", "-u", deployment.owner, "--", deployment.binary, "--home", crafted] + command + ["--json"]
      )
      #expect(
        result.status == 5 && errorCode(result) == "integrity_violation", "\(command): \(result.tail())")
    }
    #expect(deployment.evidence == afterAttempt, "the real journal and state are unchanged")

    // The operator's signed approval still works through the same a0.
    let signature = try deployment.operatorSignature(for: ["approve", "v1.1"])
    let approved = try UnixUsers.run([
      "runuser", "-u", deployment.owner, "--", deployment.binary, "--home", deployment.home, "approve",
      "v1.1",
      "--signature", signature, "--json",
    ])
    #expect(approved.status == 0, "\(approved.tail())")
    #expect(try deployment.agentA0(["audit", "verify"]).status == 0)

    // doctor, run by root, reads the agent's rules: pinned is clean; a
    // rule without the pin is named.
    let doctor = try UnixUsers.run([
      deployment.binary, "doctor", "--home", deployment.home, "--agent-user", deployment.agent, "--json",
    ])
    #expect(doctor.status == 0, "\(doctor.tail())")
    let loose = deployment.sudoers + "-loose"
    try Deployment.installRule(
      at: loose, "\(deployment.agent) ALL=(\(deployment.owner)) NOPASSWD: \(deployment.binary) *")
    defer { unlink(loose) }
    let unpinned = try UnixUsers.run([
      deployment.binary, "doctor", "--home", deployment.home, "--agent-user", deployment.agent, "--json",
    ])
    #expect(unpinned.status == 1)
    #expect(unpinned.stdoutText.contains("does not pin the home"), "\(unpinned.tail())")
  }
}
