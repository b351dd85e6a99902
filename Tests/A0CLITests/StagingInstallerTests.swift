import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Staging: installers, wheels and virtualenv reuse", .serialized)
struct StagingInstallerTests {
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
    #expect(TestHome.builds(paths).isEmpty, "the failed build is deleted")

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
}
