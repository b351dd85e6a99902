import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

private func executor(_ paths: HomePaths) throws {
  let record = try TestHome.put(paths, state: .idle, authority: .executor)
  _ = record
}

private func state(_ paths: HomePaths) throws -> JSONValue? {
  try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
}

@Suite("Staging", .serialized)
struct StagingTests {
  @Test("an approved version stages end to end into VALIDATING, with a manifest sha256sum agrees with")
  func happyPath() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    let result = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(try state(paths)?["current_state"] == "VALIDATING")
    let artifact = try #require(try Artifacts.find(paths, version: "v1.0.0"))
    #expect(!FileManager.default.fileExists(atPath: artifact.buildPath + "/.partial"))
    #expect(FileIO.readLink(artifact.appPath + "/data") == "../../../shared/data")
    #expect(FileIO.readLink(artifact.appPath + "/.env") == "../../../shared/.env")
    #expect(FileManager.default.fileExists(atPath: artifact.buildPath + "/skeleton/data/.gitkeep"))
    #expect(FileIO.isDirectory(paths.shared + "/data"))
    #expect(artifact.manifest.virtualenvHash?.count == 64)
    #expect(artifact.manifest.buildLogPath == artifact.buildPath + "/build.log")
    #expect(artifact.manifest.python?.hasPrefix("python3 3.") == true)
    #expect(artifact.manifest.dependencyKey == nil, "a venv made by pip names its own path: never copied")
    #expect(TestHome.read(artifact.buildPath + "/build.log").contains("pip install"))
    let branch = try ProcessRunner().run(
      CommandLineSpec(
        ["git", "-C", artifact.appPath, "rev-parse", "--abbrev-ref", "HEAD"], timeoutSeconds: 10))
    #expect(branch.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "release/v1.0.0")
    // The bytecode pass wrote what the import system reads for the release's
    // own sources: this interpreter's magic number, and the source's mtime and size.
    #expect(TestHome.read(artifact.buildPath + "/build.log").contains("0 files did not compile"))
    let bytecode = try ProcessRunner().run(
      CommandLineSpec(
        [
          artifact.appPath + "/.venv/bin/python", "-I", "-c",
          """
          import importlib.util, os, struct, sys
          source = sys.argv[1]
          header = open(importlib.util.cache_from_source(source), "rb").read(16)
          stats = os.stat(source)
          print(header[:4] == importlib.util.MAGIC_NUMBER
                and struct.unpack("<III", header[4:]) == (0, int(stats.st_mtime), stats.st_size))
          """, artifact.appPath + "/app.py",
        ], timeoutSeconds: 30))
    #expect(
      bytecode.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "True", "\(bytecode.stderrText)")

    let script = #"""
      cd "$1" && find . \( -path ./.git -o -path ./.venv -o -name __pycache__ \) -prune -o \( -type f -o -type l \) -print0 \
        | LC_ALL=C sort -z | while IFS= read -r -d '' f; do p=${f#./}; \
          if [ -L "$f" ]; then h=$(printf '%s' "$(readlink "$f")" | sha256sum); else h=$(sha256sum < "$f"); fi; \
          printf '%s  %s\n' "${h%% *}" "$p"; done | sha256sum | cut -d' ' -f1
      """#
    let independent = try ProcessRunner().run(
      CommandLineSpec(["bash", "-c", script, "hash", artifact.appPath], timeoutSeconds: 30))
    #expect(
      independent.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == artifact.manifest.treeHash)

    let types = try TestHome.journalEvents(paths).map(\.eventType)
    let expected = [
      "approval_consumed", "state_transition", "staging_started", "clone_completed", "dependencies_installed",
      "checksums_computed", "artifact_stored", "state_transition",
    ]
    #expect(Array(types.suffix(expected.count)) == expected)
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)

    let again = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(again.status == 0, "repeating the staging that produced VALIDATING is a no-op")
    #expect(try TestHome.journalEvents(paths).map(\.eventType) == types)
    let listed = try A0Binary.run(["list-artifacts", "--home", paths.root, "--json"])
    #expect(listed.json?["data"]?["artifacts"]?.arrayValue?.first?["version"] == "v1.0.0")
    let status = try A0Binary.run(["staging-status", "--home", paths.root, "--json"])
    #expect(status.json?["data"]?["build"]?["result"] == "published")
  }

  @Test("--dry-run prints the plan and changes nothing")
  func dryRun() throws {
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    let journal = TestHome.read(paths.journal)
    let result = try A0Binary.run(["begin-staging", "v1.0.0", "--dry-run", "--home", paths.root, "--json"])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(result.json?["data"]?["plan"]?["url"] == .string(published.upstream))
    #expect(result.json?["data"]?["plan"]?["installer"] == "pip")
    #expect(TestHome.read(paths.journal) == journal)
    #expect(TestHome.builds(paths).isEmpty)
  }

  @Test("staging without an approval is refused (6); as observer it is refused (3)")
  func refused() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    let observer = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(observer.status == 3)
    try executor(paths)
    let unapproved = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(unapproved.status == 6)
    #expect(try state(paths)?["current_state"] == "IDLE")
  }

  @Test("an approval is used once: a second staging needs a new approval")
  func singleUse() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    // A requirement that cannot be installed makes the first staging fail.
    try TestHome.configure(paths, ["python.wheelhouse": "\"\(scratch.path)\""])
    #expect(try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root]).status == 1)
    #expect(try state(paths)?["current_state"] == "FAILED")
    let retry = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(retry.status == 6)
  }

  @Test("a failing requirement ends in FAILED with the step, the log tail, and no build left")
  func failingRequirement() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    try TestHome.configure(paths, ["python.wheelhouse": "\"\(scratch.path)\""])
    let result = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(result.status == 1)
    let data = try state(paths)
    #expect(data?["current_state"] == "FAILED")
    #expect(data?["reason_code"] == "staging_failed")
    #expect(data?["last_failure"]?["error"]?.stringValue?.hasPrefix("dependencies:") == true)
    #expect(TestHome.builds(paths).isEmpty)
    let events = try TestHome.journalEvents(paths)
    let types = events.map(\.eventType)
    #expect(types.contains("dependencies_failed") && types.contains("temp_cleanup_completed"))
    let failed = try #require(events.last { $0.eventType == "staging_failed" })
    #expect(failed.details["log_tail"]?.stringValue?.contains("a0-sample-dep") == true)
    #expect(
      try A0Binary.run(["list-artifacts", "--home", paths.root, "--json"]).json?["data"]?["artifacts"] == [])
  }

  @Test("a tag moved after approval is an integrity violation: FAILED, executor revoked, nothing built")
  func movedTag() throws {
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    let work = scratch.path + "/mover"
    _ = try ProcessRunner().run(
      CommandLineSpec(["git", "clone", "-q", published.upstream, work], timeoutSeconds: 30))
    for arguments in [
      [
        "-C", work, "-c", "user.email=x@y", "-c", "user.name=x", "commit", "-q", "--allow-empty", "-m",
        "evil",
      ],
      ["-C", work, "tag", "-f", "v1.0.0"], ["-C", work, "push", "-q", "-f", "origin", "refs/tags/v1.0.0"],
    ] {
      #expect(try ProcessRunner().run(CommandLineSpec(["git"] + arguments, timeoutSeconds: 30)).succeeded)
    }
    let result = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(result.status == 5)
    let data = try state(paths)
    #expect(data?["current_state"] == "FAILED")
    #expect(data?["reason_code"] == "integrity_violation")
    #expect(data?["authority_level"] == "observer")
    #expect(TestHome.builds(paths).isEmpty)
  }

  @Test("a hanging clone is stopped at its timeout and ends in FAILED")
  func hangingClone() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    let listener = try SilentListener()
    try TestHome.configure(
      paths,
      ["upstream.url": "\"https://127.0.0.1:\(listener.port)/x.git\"", "upstream.timeout_seconds": "2"])
    let started = Date()
    let result = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(result.status == 1)
    #expect(Date().timeIntervalSince(started) < 15)
    #expect(try state(paths)?["current_state"] == "FAILED")
    #expect(try TestHome.journalEvents(paths).contains { $0.eventType == "clone_failed" })
    #expect(TestHome.builds(paths).isEmpty)
  }

  /// An interpreter that is slow to create the venv, so a test can catch
  /// the build in its dependencies step.
  private func slowInterpreter(_ scratch: ScratchDirectory) throws -> String {
    let path = scratch.path + "/slow-python"
    try "#!/bin/sh\nsleep 30\nexec python3 \"$@\"\n".write(toFile: path, atomically: false, encoding: .utf8)
    chmod(path, 0o755)
    return path
  }

  private func waitForStep(_ paths: HomePaths, _ step: String) throws {
    for _ in 0..<200 {
      let status = try A0Binary.run(["staging-status", "--home", paths.root, "--json"])
      if status.json?["data"]?["build"]?["step"] == .string(step) { return }
      usleep(50_000)
    }
    throw FixtureError(message: "staging never reached \(step)")
  }

  @Test(
    "SIGINT and SIGTERM mid-build clean up and end in FAILED, with no process left",
    arguments: [SIGINT, SIGTERM])
  func interrupted(signal: Int32) throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    try TestHome.configure(paths, ["python.interpreter": "\"\(try slowInterpreter(scratch))\""])
    let process = try A0Binary.start(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    try waitForStep(paths, "dependencies")
    kill(process.pid, signal)
    let result = process.wait()
    #expect(result.status == 1, "\(result.stdout)")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("interrupted") == true)
    #expect(try state(paths)?["current_state"] == "FAILED")
    #expect(TestHome.builds(paths).isEmpty)
    let stray = try ProcessRunner().run(
      CommandLineSpec(["pgrep", "-f", scratch.path + "/slow-python"], timeoutSeconds: 5))
    #expect(stray.stdoutText.isEmpty, "no process of the build may survive")
  }

  @Test("SIGKILL mid-build leaves a partial build that the next command deletes, ending in FAILED")
  func killed() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    try executor(paths)
    try SampleApp.approve(paths, "v1.0.0")
    try TestHome.configure(paths, ["python.interpreter": "\"\(try slowInterpreter(scratch))\""])
    let process = try A0Binary.start(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    try waitForStep(paths, "dependencies")
    kill(process.pid, SIGKILL)
    _ = process.wait()
    #expect(TestHome.builds(paths).count == 1)
    #expect(
      try A0Binary.run(["list-artifacts", "--home", paths.root, "--json"]).json?["data"]?["artifacts"] == [])
    let next = try state(paths)
    #expect(next?["current_state"] == "FAILED")
    #expect(next?["reason_code"] == "interrupted")
    #expect(TestHome.builds(paths).isEmpty)
    // A SIGKILLed orphan is reaped by init a moment later; give it that moment.
    var stray = "?"
    for _ in 0..<50 where !stray.isEmpty {
      stray = SampleApp.processes(matching: scratch.path + "/slow-python")
      if !stray.isEmpty { usleep(40_000) }
    }
    #expect(stray.isEmpty, "recovery stops the dead holder's children")
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }
}
