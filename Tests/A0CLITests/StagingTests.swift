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

private func builds(_ paths: HomePaths) -> [String] {
  ((try? FileIO.listDirectory(paths.builds)) ?? []).sorted()
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

  @Test(
    "wheels only, except [python] source_builds: without the sample's source-only package staging fails naming it; with it, it is built",
    arguments: ["pip", "uv"])
  func sourceBuildsByName(installer: String) throws {
    if installer == "uv" {
      try #require(Needs.tool("uv") && TestTools.callerTools.find("uv") != nil, "\(Needs.uvReason)")
    }
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path, installer: installer)
    try TestHome.configure(paths, ["python.source_builds": "[]"])
    let refused = try SampleApp.agent(paths, ["begin-staging", "v1.0.0"])
    #expect(refused.status == 1, "\(refused.stdout)")
    let next = refused.json?["error"]?["next"]?.stringValue ?? ""
    #expect(next.contains("add \"a0-sample-plain\" to [python] source_builds"), "\(refused.stdout)")
    #expect(builds(paths).isEmpty, "the failed build is deleted")

    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.0.0")
    // Names are compared as the index compares them (PEP 503).
    try TestHome.configure(paths, ["python.source_builds": "[\"A0_Sample.Plain\"]"])
    let built = try SampleApp.agent(paths, ["begin-staging", "v1.0.0"])
    #expect(built.status == 0, "\(built.stdout)")
    let artifact = try #require(try Artifacts.find(paths, version: "v1.0.0"))
    let log = TestHome.read(artifact.buildPath + "/build.log")
    #expect(log.contains("--only-binary :all: --no-binary a0-sample-plain"), "\(log)")
    // requirements2.txt (an override) pins a0-sample-dep 1.0.1 over requirements.txt's 1.0.0.
    let imported = try ProcessRunner().run(
      CommandLineSpec(
        [
          artifact.appPath + "/.venv/bin/python", "-c",
          "import a0_sample_dep, a0_sample_plain; print(a0_sample_dep.greeting(), '|', a0_sample_plain.word())",
        ], timeoutSeconds: 30))
    #expect(
      imported.stdoutText.contains("hello from a0-sample-dep 1.0.1 | built from source"),
      "\(imported.stdoutText)")
  }

  @Test(
    "with uv, the venv is built with --link-mode=copy from a cache kept in .billy/cache/uv, and validates",
    .enabled(if: Needs.tool("uv"), Comment(rawValue: Needs.uvReason)))
  func uvInstaller() throws {
    try #require(TestTools.callerTools.find("uv") != nil, "uv is installed by .ci/run (pip install uv)")
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path, installer: "uv")
    let result = try SampleApp.agent(paths, ["begin-staging", "v1.0.0"])
    #expect(result.status == 0, "\(result.stdout)")
    let artifact = try #require(try Artifacts.find(paths, version: "v1.0.0"))
    #expect(artifact.manifest.installer == "uv")
    #expect(TestHome.read(artifact.buildPath + "/build.log").contains("--link-mode copy"))
    #expect(FileIO.isDirectory(paths.billy + "/cache/uv"))
    #expect(try SampleApp.agent(paths, ["validate"]).status == 0)
  }

  @Test(
    "with uv and a wheelhouse, equal dependency inputs copy the earlier verified venv; a changed earlier venv or changed inputs install afresh",
    .enabled(if: Needs.tool("uv"), Comment(rawValue: Needs.uvReason)))
  func virtualenvReuse() throws {
    try #require(TestTools.callerTools.find("uv") != nil, "uv is installed by .ci/run (pip install uv)")
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path, installer: "uv")
    func stage(_ version: String, _ options: [String] = []) throws -> (ArtifactInfo, [String: JSONValue]) {
      try TestHome.put(paths, state: .idle, authority: .executor)
      try SampleApp.approve(paths, version)
      let result = try SampleApp.agent(paths, ["begin-staging", version] + options)
      #expect(result.status == 0, "\(result.stdout)")
      let installed = try #require(
        try TestHome.journalEvents(paths).last { $0.eventType == "dependencies_installed" })
      #expect(
        result.json?["data"]?["manifest"]?["virtualenv_copied_from"]
          == installed.details["virtualenv_copied_from"])
      return (try #require(try Artifacts.find(paths, version: version)), installed.details)
    }

    let (first, firstInstall) = try stage("v1.0.0")
    let key = try #require(first.manifest.dependencyKey)
    #expect(firstInstall["virtualenv_copied_from"] == .null)
    #expect(TestHome.read(first.appPath + "/.venv/pyvenv.cfg").contains("relocatable = true"))

    // Production ran and an import hook cached its own bytecode in the venv:
    // a cache, not part of the release, so it neither blocks the copy nor is copied.
    let cache = try #require(
      try FileManager.default.subpathsOfDirectory(atPath: first.appPath + "/.venv").first {
        $0.hasSuffix("site-packages/__pycache__") || $0.hasSuffix("site-packages/__pycache__/")
      })
    let hookCache = "/.venv/" + cache + "/a0_sample_dep.cpython-3.opt-hook.pyc"
    try "hook".write(toFile: first.appPath + hookCache, atomically: false, encoding: .utf8)

    let (second, secondInstall) = try stage("v1.1.0")
    #expect(secondInstall["virtualenv_copied_from"] == .string(first.buildID))
    #expect(!FileIO.exists(second.appPath + hookCache))
    #expect(second.manifest.dependencyKey == key)
    #expect(second.manifest.virtualenvHash == first.manifest.virtualenvHash)
    #expect(second.manifest.python == first.manifest.python)
    #expect(!TestHome.read(second.buildPath + "/build.log").contains("uv pip sync"))
    // The copy carries the bytecode with the times it was checked against:
    // Python loads it rather than compiling the module again.
    let loaded = try ProcessRunner().run(
      CommandLineSpec(
        [second.appPath + "/.venv/bin/python", "-v", "-c", "import a0_sample_dep"], timeoutSeconds: 30))
    #expect(loaded.succeeded, "\(loaded.stderrText)")
    let importLines = loaded.stderrText.split(separator: "\n").filter { $0.contains("a0_sample_dep") }
    #expect(
      importLines.contains {
        $0.contains("code object from") && $0.contains("__pycache__/a0_sample_dep.cpython-")
      },
      "\(importLines)")
    #expect(!importLines.contains { $0.contains("bytecode is stale") }, "\(importLines)")
    // Bytecode records where it was compiled; Python replaces that with
    // the module's own path when it loads it, so only other files count.
    let strayPath = try ProcessRunner().run(
      CommandLineSpec(
        ["grep", "-rlF", "--exclude=*.pyc", "--", first.buildPath, second.appPath + "/.venv"],
        timeoutSeconds: 30
      ))
    #expect(strayPath.status == 1, "no file of the copy names the earlier build: \(strayPath.stdoutText)")
    #expect(
      try SampleApp.agent(paths, ["validate"]).status == 0, "the app imports its dependency from the copy")

    // The newest venv of these inputs changed after its manifest: not copied; installed afresh, clean.
    let module = try #require(
      try FileManager.default.subpathsOfDirectory(atPath: second.appPath + "/.venv").first {
        $0.hasSuffix("site-packages/a0_sample_dep.py")
      })
    let pristine = TestHome.read(second.appPath + "/.venv/" + module)
    try (pristine + "print('changed')\n").write(
      toFile: second.appPath + "/.venv/" + module, atomically: false, encoding: .utf8)
    let (third, thirdInstall) = try stage("v1.3.0")
    #expect(thirdInstall["virtualenv_copied_from"] == .null)
    #expect(
      thirdInstall["virtualenv_copy_refused"]?.stringValue?.contains("no longer matches its manifest")
        == true,
      "\(thirdInstall)")
    #expect(TestHome.read(third.appPath + "/.venv/" + module) == pristine)
    #expect(TestHome.read(third.buildPath + "/build.log").contains("uv pip sync"))
    #expect(third.manifest.dependencyKey == key)
    // Same inputs, same output: a fresh install holds the files the copies
    // were checked against, apart from the marker uv leaves in a package
    // the first time it builds it from source (later installs take the
    // built wheel from the cache), and the bytecode, which records each
    // source's install time.
    let differences = try ProcessRunner().run(
      CommandLineSpec(
        ["diff", "-rq", first.appPath + "/.venv", third.appPath + "/.venv"], timeoutSeconds: 30))
    let unexpected = differences.stdoutText.split(separator: "\n").filter {
      !$0.contains("a0_sample_plain-1.0.0.dist-info") && !$0.contains("/__pycache__")
    }
    #expect(unexpected.isEmpty, "\(differences.stdoutText)")

    // Another file in the wheelhouse is another input: no copy is tried.
    try "notes".write(toFile: published.wheelhouse + "/NOTES.txt", atomically: false, encoding: .utf8)
    let (fourth, fourthInstall) = try stage("v1.2.0")
    #expect(fourth.manifest.dependencyKey != nil && fourth.manifest.dependencyKey != key)
    #expect(fourthInstall["virtualenv_copied_from"] == .null)
    #expect(fourthInstall["virtualenv_copy_refused"] == .null)
    // --rebuild builds from nothing: it installs even when a copy would do.
    let (_, rebuilt) = try stage("v1.2.0", ["--rebuild"])
    #expect(rebuilt["dependency_key"] == fourthInstall["dependency_key"])
    #expect(rebuilt["virtualenv_copied_from"] == .null)
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test(
    "with uv and an index, stagings that resolve to the same pinned and hashed set copy the venv; a file the index adds under a pinned version installs afresh",
    .enabled(if: Needs.tool("uv") && Needs.tool("openssl"), Comment(rawValue: Needs.uvReason)))
  func virtualenvReuseFromAnIndex() throws {
    try #require(TestTools.callerTools.find("uv") != nil, "uv is installed by .ci/run (pip install uv)")
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path, installer: "uv")
    let index = try TLSPackageIndex(in: scratch.path, wheelhouse: published.wheelhouse)
    try TestHome.configure(
      paths, ["python.wheelhouse": "\"\"", "python.install_args": "[\"--index-url\", \"\(index.url)\"]"])
    func stage(_ version: String) throws -> (ArtifactInfo, [String: JSONValue]) {
      try TestHome.put(paths, state: .idle, authority: .executor)
      try SampleApp.approve(paths, version)
      let result = try A0Binary.run(
        ["begin-staging", version, "--home", paths.root, "--json"],
        environment: ["SSL_CERT_FILE": index.caFile])
      #expect(result.status == 0, "\(result.stdout)")
      let installed = try #require(
        try TestHome.journalEvents(paths).last { $0.eventType == "dependencies_installed" })
      return (try #require(try Artifacts.find(paths, version: version)), installed.details)
    }
    func greeting(_ artifact: ArtifactInfo) throws -> String {
      try ProcessRunner().run(
        CommandLineSpec(
          [
            artifact.appPath + "/.venv/bin/python", "-c",
            "import a0_sample_dep; print(a0_sample_dep.greeting())",
          ],
          timeoutSeconds: 30)
      ).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    let (first, firstInstall) = try stage("v1.0.0")
    #expect(firstInstall["virtualenv_copied_from"] == .null)
    let resolved = TestHome.read(first.buildPath + "/resolved-requirements.txt")
    #expect(resolved.contains("a0-sample-dep==1.0.1") && resolved.contains("--hash=sha256:"), "\(resolved)")
    #expect(TestHome.read(first.buildPath + "/build.log").contains("uv pip sync"))
    #expect(try greeting(first) == "hello from a0-sample-dep 1.0.1")

    let (second, secondInstall) = try stage("v1.1.0")
    #expect(secondInstall["virtualenv_copied_from"] == .string(first.buildID))
    #expect(second.manifest.dependencyKey == first.manifest.dependencyKey)
    #expect(TestHome.read(second.buildPath + "/build.log").contains("same resolved requirements"))
    #expect(!TestHome.read(second.buildPath + "/build.log").contains("uv pip sync"))

    // The index now serves another file for the pinned version (a build the
    // installer prefers): the resolved set changes, so nothing is copied.
    let rebuilt = scratch.path + "/rebuilt"
    let build = try ProcessRunner().run(
      CommandLineSpec(
        [
          "python3", "-c",
          """
          import importlib.util, sys
          spec = importlib.util.spec_from_file_location("make_upstream", sys.argv[1])
          module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
          module.build_wheel(sys.argv[2], version="1.0.1", modules={
              "a0_sample_dep.py": b'def greeting():\\n    return "hello from a rebuilt 1.0.1"\\n'})
          """,
          SampleApp.examples + "/make-upstream.py", rebuilt,
        ], timeoutSeconds: 30))
    #expect(build.succeeded, "\(build.stderrText)")
    let added = "a0_sample_dep-1.0.1-1-py3-none-any.whl"
    #expect(rename(rebuilt + "/a0_sample_dep-1.0.1-py3-none-any.whl", index.root + "/files/" + added) == 0)
    let page = index.root + "/simple/a0-sample-dep/index.html"
    try TestHome.read(page).replacingOccurrences(
      of: "</body>", with: "<a href=\"../../files/\(added)\">\(added)</a>\n</body>"
    ).write(toFile: page, atomically: true, encoding: .utf8)
    let (third, thirdInstall) = try stage("v1.2.0")
    #expect(thirdInstall["virtualenv_copied_from"] == .null)
    #expect(thirdInstall["virtualenv_copy_refused"] == .null)
    #expect(third.manifest.dependencyKey != first.manifest.dependencyKey)
    #expect(try greeting(third) == "hello from a rebuilt 1.0.1")
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
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
    #expect(builds(paths).isEmpty)
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
    #expect(builds(paths).isEmpty)
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
    #expect(builds(paths).isEmpty)
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
    #expect(builds(paths).isEmpty)
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
    #expect(builds(paths).isEmpty)
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
    #expect(builds(paths).count == 1)
    #expect(
      try A0Binary.run(["list-artifacts", "--home", paths.root, "--json"]).json?["data"]?["artifacts"] == [])
    let next = try state(paths)
    #expect(next?["current_state"] == "FAILED")
    #expect(next?["reason_code"] == "interrupted")
    #expect(builds(paths).isEmpty)
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
