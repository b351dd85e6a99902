import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// A home a0 trusts, on a local upstream, and a copy of its journal and
/// state to prove an attack changed nothing.
private struct TrustedHome {
  let scratch = ScratchDirectory()
  let upstream: UpstreamFixture
  let paths: HomePaths

  init() throws {
    chmod(scratch.path, 0o755)
    upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0", "v1.1"])
    paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare)
  }

  var evidence: String { TestHome.read(paths.journal) + TestHome.read(paths.state) }

  /// Humans sign (alice, whose key stays in the scratch directory), and
  /// the agent has requested v1.1.
  func signedWithRequest() throws {
    let keys = try SigningKeys(in: scratch.path + "/operator", principals: ["alice"])
    try FileIO.copyFile(from: keys.allowedSigners, to: paths.billy + "/allowed_signers", mode: 0o644)
    try TestHome.configure(paths, ["humans.proof": "\"ssh-signature\""])
    #expect(try a0(["request-upgrade", "v1.1"]).status == 0)
  }

  func a0(_ arguments: [String], environment: [String: String] = [:]) throws -> A0Binary.Result {
    try A0Binary.run(arguments + ["--home", paths.root, "--json"], environment: environment)
  }

  /// A directory the agent's user owns, as anything the agent makes would be.
  func agentDirectory(_ name: String) throws -> String {
    let directory = scratch.path + "/" + name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try UnixUsers.run(["chown", "-R", UnixUsers.agent, directory])
    return directory
  }
}

@Suite(
  "a0 trusts only homes no other user could have made", .serialized,
  .enabled(if: Needs.root, Comment(rawValue: Needs.rootReason)))
struct HomeTrustTests {
  init() throws {
    try #require(getuid() == 0, "these tests hand files to another Unix user and need root")
    try UnixUsers.ensure(UnixUsers.agent)
  }

  @Test("a control file that is a symlink, writable by others, or another user's is exit 5, naming it")
  func controlFiles() throws {
    let home = try TrustedHome()
    let paths = home.paths
    #expect(try home.a0(["status"]).status == 0)

    let elsewhere = home.scratch.path + "/state-elsewhere.json"
    try FileIO.rename(paths.state, to: elsewhere)
    symlink(elsewhere, paths.state)
    var result = try home.a0(["status"])
    #expect(result.status == 5)
    #expect(result.json?["error"]?["code"] == "integrity_violation")
    #expect(result.json?["error"]?["what"]?.stringValue?.contains("state.json") == true)
    #expect(result.json?["error"]?["why"]?.stringValue?.contains("symbolic link") == true)
    unlink(paths.state)
    try FileIO.rename(elsewhere, to: paths.state)

    chmod(paths.config, 0o664)
    result = try home.a0(["status"])
    #expect(result.status == 5)
    #expect(result.json?["error"]?["what"]?.stringValue?.contains("config.toml") == true)
    chmod(paths.config, 0o644)

    try UnixUsers.run(["chown", UnixUsers.agent, paths.approvals])
    result = try home.a0(["pending-approvals"])
    #expect(result.status == 5)
    #expect(result.json?["error"]?["what"]?.stringValue?.contains("approvals") == true)
    try UnixUsers.run(["chown", "root", paths.approvals])

    chmod(paths.root, 0o777)
    result = try home.a0(["status"])
    #expect(result.status == 5, "a home directory others may write: they could replace .billy/")
    chmod(paths.root, 0o755)
    #expect(try home.a0(["status"]).status == 0)
  }

  @Test(
    "a crafted home linking into the real one, with the agent's own signers file, is refused before anything is read"
  )
  func craftedHome() throws {
    let home = try TrustedHome()
    try home.signedWithRequest()
    let before = home.evidence

    // What the agent can make without a0: its own config and signers file,
    // and links to everything else of the real home.
    let crafted = try home.agentDirectory("crafted")
    let agentKeys = try SigningKeys(in: crafted + "/own", principals: ["alice"])
    let billy = crafted + "/.billy"
    try FileManager.default.createDirectory(atPath: billy, withIntermediateDirectories: true)
    try TestHome.read(home.paths.config).write(
      toFile: billy + "/config.toml", atomically: false, encoding: .utf8)
    try FileIO.copyFile(from: agentKeys.allowedSigners, to: billy + "/allowed_signers", mode: 0o644)
    for name in [
      "upgrade_history.log", "state.json", "lock", "approvals", "builds", "artifacts", "reports", "shared",
      "snapshots",
    ] {
      symlink(home.paths.billy + "/" + name, billy + "/" + name)
    }
    try UnixUsers.run(["chown", "-R", "-h", UnixUsers.agent, crafted])

    for command in [
      ["grant", "executor", "--bootstrap", "--reason", "x", "--key", agentKeys.key("alice")],
      ["approve", "v1.1", "--key", agentKeys.key("alice")], ["status"], ["audit", "verify"],
    ] {
      let result = try A0Binary.run(command + ["--home", crafted, "--json"])
      #expect(result.status == 5, "\(command): \(result.stdout)")
      #expect(result.json?["error"]?["code"] == "integrity_violation")
    }
    #expect(home.evidence == before, "the real journal and state are untouched")
    #expect(try home.a0(["audit", "verify"]).status == 0)
  }

  @Test("tools come from the home's [tools] path: a fake ssh-keygen on the caller's PATH proves nothing")
  func callerPath() throws {
    let home = try TrustedHome()
    try home.signedWithRequest()

    let bin = try home.agentDirectory("bin")
    let marker = bin + "/ran"
    let fake = "#!/bin/sh\ntouch \(marker)\necho alice\nexit 0\n"
    try fake.write(toFile: bin + "/ssh-keygen", atomically: false, encoding: .utf8)
    chmod(bin + "/ssh-keygen", 0o755)
    let forged = home.scratch.path + "/forged.sig"
    try "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n".write(
      toFile: forged, atomically: false, encoding: .utf8)
    let result = try home.a0(
      ["approve", "v1.1", "--signature", forged], environment: ["PATH": bin + ":/usr/bin:/bin"])
    #expect(result.status == 3, "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: marker), "the caller's ssh-keygen was run")

    // The home's own search path is checked too: a tool in a directory
    // another user may write is refused, not run.
    try TestHome.configure(home.paths, ["tools.path": "\"\(bin):/usr/bin:/bin\""])
    chmod(bin, 0o777)
    let unsafe = try home.a0(["approve", "v1.1", "--signature", forged])
    #expect(unsafe.status == 5, "\(unsafe.stdout)")
    #expect(unsafe.json?["error"]?["what"]?.stringValue?.contains("will not run") == true)
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  @Test("the caller's HOME steers no child: no ~/.gitconfig hook, URL rewrite or askpass program runs")
  func callerHome() throws {
    let home = try TrustedHome()
    let fakeHome = try home.agentDirectory("agent-home")
    let marker = fakeHome + "/ran"
    let program = fakeHome + "/evil"
    try "#!/bin/sh\ntouch \(marker)\n".write(toFile: program, atomically: false, encoding: .utf8)
    chmod(program, 0o755)
    try FileManager.default.createDirectory(atPath: fakeHome + "/hooks", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: program, toPath: fakeHome + "/hooks/post-checkout")
    try """
    [core]
    \thooksPath = \(fakeHome)/hooks
    \taskPass = \(program)
    [url "https://127.0.0.1:1/"]
    \tinsteadOf = \(home.upstream.bare)
    """.write(toFile: fakeHome + "/.gitconfig", atomically: false, encoding: .utf8)
    let environment = ["HOME": fakeHome, "XDG_CONFIG_HOME": fakeHome]
    let result = try home.a0(["check-updates"], environment: environment)
    #expect(result.status == 0, "the upstream was not rewritten: \(result.stdout)")
    #expect(result.json?["data"]?["latest"] == "v1.1")
    try TestHome.configure(
      home.paths,
      ["python.interpreter": "\"python3\"", "python.installer": "\"none\"", "data.linked_paths": "[]"])
    try TestHome.put(home.paths, state: .idle, authority: .executor)
    try SampleApp.approve(home.paths, "v1.1")
    let staging = try home.a0(["begin-staging", "v1.1"], environment: environment)
    #expect(staging.status == 0, "\(staging.stdout)")
    #expect(!FileManager.default.fileExists(atPath: marker), "a program of the caller's HOME ran")
  }

  @Test("a FIFO or an oversized file as --signature is bad input at once, before the lock")
  func signatureFiles() throws {
    let home = try TrustedHome()
    try home.signedWithRequest()
    let before = home.evidence
    let fifo = home.scratch.path + "/signature.fifo"
    #expect(mkfifo(fifo, 0o666) == 0)
    let started = Date()
    let result = try home.a0(["approve", "v1.1", "--signature", fifo])
    #expect(result.status == 65, "\(result.stdout)")
    #expect(result.json?["error"]?["what"]?.stringValue?.contains("not a regular file") == true)
    #expect(Date().timeIntervalSince(started) < 10)
    let large = home.scratch.path + "/large.sig"
    try String(repeating: "A", count: ProofOffer.fileLimit + 1).write(
      toFile: large, atomically: false, encoding: .utf8)
    #expect(try home.a0(["approve", "v1.1", "--signature", large]).status == 65)
    #expect(home.evidence == before)
  }

  @Test("a home named before the command is pinned: naming another is a usage error")
  func pinnedHome() throws {
    let home = try TrustedHome()
    let other = try TrustedHome()
    let pinned = try A0Binary.run(["--home", home.paths.root, "status", "--json"])
    #expect(pinned.status == 0)
    #expect(pinned.json?["data"]?["home"]?.stringValue == home.paths.root)
    #expect(try A0Binary.run(["--home=\(home.paths.root)", "status", "--json"]).status == 0)
    for arguments in [
      ["--home", home.paths.root, "status", "--home", other.paths.root, "--json"],
      ["--home", home.paths.root, "status", "--home=\(other.paths.root)", "--json"],
      ["--home", home.paths.root, "--home", other.paths.root, "status", "--json"],
    ] {
      let result = try A0Binary.run(arguments)
      #expect(result.status == 64, "\(arguments): \(result.stdout)")
      #expect(result.json?["error"]?["code"] == "usage")
    }
    // sudo matches `--home HOME *` against the arguments joined by spaces:
    // a home argument that starts with HOME and a space must not escape it.
    let escaping = home.paths.root + " /../" + FileIO.baseName(of: home.paths.root)
    for arguments in [
      ["--home", escaping, "status", "--json"], ["--home", home.paths.root + "\t", "status", "--json"],
      ["--home", home.paths.root, "init", "--upstream", "/srv/elsewhere.git", "--json"],
      ["--home", home.paths.root, "tree-hash", "/etc", "--json"],
      ["--home", home.paths.root, "doctor", "--sudo-rules", "/etc/shadow", "--json"],
      ["--home", home.paths.root, "status", "--wait", "inf", "--json"],
    ] {
      let result = try A0Binary.run(arguments)
      #expect(result.status == 64, "\(arguments): \(result.stdout)")
    }
  }

  @Test("a home inside another home is refused, and so is adopting a directory inside one")
  func nestedHomes() throws {
    let home = try TrustedHome()
    let inner = home.paths.builds + "/planted"
    let result = try A0Binary.run(["init", "--upstream", "/srv/app.git", "--home", inner, "--json"])
    #expect(result.status == 65, "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: inner))
    let adopting = try A0Binary.run([
      "init", "--upstream", "/srv/app.git", "--home", home.scratch.path + "/other", "--adopt",
      home.paths.builds, "--json",
    ])
    #expect(adopting.status == 65, "\(adopting.stdout)")
  }

  @Test("a0 is never stopped while it may hold the lock: SIGTSTP is ignored")
  func jobControlStop() throws {
    let home = try TrustedHome()
    let holder = try HomeLock.acquire(
      path: home.paths.lock, command: "test", waitSeconds: 0, clock: SystemClock())
    let waiting = try A0Binary.start([
      "revoke", "--reason", "test", "--home", home.paths.root, "--wait", "20", "--json",
    ])
    usleep(300_000)
    kill(waiting.pid, SIGTSTP)
    usleep(300_000)
    let stat = TestHome.read("/proc/\(waiting.pid)/stat")
    let state = stat.split(separator: ")").last?.split(separator: " ").first.map(String.init)
    #expect(state != "T", "a0 was stopped: \(stat)")
    holder.release()
    kill(waiting.pid, SIGCONT)
    _ = waiting.wait()
  }

  @Test("init refuses a home directory other users may write")
  func initInUnsafeDirectory() throws {
    let scratch = ScratchDirectory()
    let shared = scratch.path + "/shared"
    try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
    chmod(shared, 0o777)
    let result = try A0Binary.run([
      "init", "--upstream", "/srv/app.git", "--home", shared + "/home", "--json",
    ])
    #expect(result.status == 5, "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: shared + "/home"))
  }
}
