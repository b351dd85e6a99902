import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func run(_ arguments: [String]) throws -> ProcessResult { try UnixUsers.run(arguments) }

@Suite("doctor and the trust boundary", .serialized)
struct DoctorTests {
  @Test(
    "doctor passes only when the agent's user can write nothing of a0's and humans sign",
    .enabled(if: Needs.root, Comment(rawValue: Needs.rootReason)))
  func trustBoundary() throws {
    // Creating users needs root, which CI and this machine have.
    try #require(getuid() == 0, "doctor's test creates Unix users and needs root")
    try UnixUsers.ensure(UnixUsers.owner)
    try UnixUsers.ensure(UnixUsers.agent)
    let scratch = ScratchDirectory()
    chmod(scratch.path, 0o755)
    let paths = try TestHome.create(in: scratch.path)
    let keys = try SigningKeys(in: scratch.path, principals: ["alice"])
    try TestHome.configure(
      paths, ["humans.proof": "\"ssh-signature\"", "humans.allowed_signers": "\"\(keys.allowedSigners)\""])

    let secure = try A0Binary.run(["doctor", "--home", paths.root, "--agent-user", "a0agent", "--json"])
    #expect(secure.status == 0, "root-owned, mode 755/644: the agent can write nothing. \(secure.stdout)")

    #expect(try run(["chown", "-R", "a0owner", paths.billy]).succeeded)
    chmod(paths.config, 0o666)
    let worldWritable = try A0Binary.run([
      "doctor", "--home", paths.root, "--agent-user", "a0agent", "--json",
    ])
    #expect(worldWritable.status == 1)
    #expect(worldWritable.json?["error"]?["message"]?.stringValue?.contains("config.toml") == true)

    chmod(paths.config, 0o644)
    #expect(try run(["chown", "a0agent", paths.journal]).succeeded)
    let agentOwned = try A0Binary.run(["doctor", "--home", paths.root, "--agent-user", "a0agent", "--json"])
    #expect(agentOwned.status == 1)
    #expect(agentOwned.json?["error"]?["message"]?.stringValue?.contains("upgrade_history.log") == true)

    #expect(try run(["chown", "a0owner", paths.journal]).succeeded)
    try TestHome.configure(paths, ["humans.proof": "\"tty\""])
    let tty = try A0Binary.run(["doctor", "--home", paths.root, "--agent-user", "a0agent", "--json"])
    #expect(tty.status == 1)
    #expect(tty.json?["error"]?["message"]?.stringValue?.contains("tty") == true)
  }

  @Test(
    "without --agent-user, doctor checks the caller as the agent: the one-user install is named insecure",
    .enabled(if: Needs.root, Comment(rawValue: Needs.rootReason)))
  func callerAsAgent() throws {
    try #require(getuid() == 0, "doctor's test creates Unix users and needs root")
    try UnixUsers.ensure(UnixUsers.owner)
    let scratch = ScratchDirectory()
    chmod(scratch.path, 0o755)
    let paths = try TestHome.create(in: scratch.path)
    let keys = try SigningKeys(in: scratch.path, principals: ["alice"])
    try TestHome.configure(
      paths, ["humans.proof": "\"ssh-signature\"", "humans.allowed_signers": "\"\(keys.allowedSigners)\""])
    #expect(try run(["chown", "-R", UnixUsers.owner, paths.root]).succeeded)
    // Agent Zero and a0 under one user: whatever a0 trusts, that user (the agent) can rewrite.
    let oneUser = try run([
      "runuser", "-u", UnixUsers.owner, "--", A0Binary.path, "doctor", "--home", paths.root,
    ])
    #expect(oneUser.status == 1, "\(oneUser.stdoutText) \(oneUser.stderrText)")
    let said = oneUser.stderrText
    #expect(said.contains("the agent's user a0owner can write \(paths.config)"), "\(said)")
    #expect(said.contains("the agent's user a0owner can write \(paths.billy)"), "\(said)")
    #expect(said.contains("a0 runs as the agent's own user a0owner"), "\(said)")
    #expect(!said.contains("--agent-user NAME"), "\(said)")
    // Root can write everything, so it is never taken for the agent.
    let asRoot = try run(["env", "-u", "SUDO_USER", A0Binary.path, "doctor", "--home", paths.root])
    #expect(asRoot.stderrText.contains("pass --agent-user NAME"), "\(asRoot.stderrText)")
    #expect(!asRoot.stderrText.contains("the agent's user root"), "\(asRoot.stderrText)")
  }
}
