import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// Publishes `version` of the sample app with `files` written over it.
private func publishRelease(
  _ published: SampleApp.Published, in scratch: String, version: String, files: [String: String]
) throws {
  let work = scratch + "/release-\(version)"
  func git(_ arguments: [String], in directory: String? = nil) throws {
    let result = try ProcessRunner().run(
      CommandLineSpec(
        ["git", "-c", "user.name=t", "-c", "user.email=t@a0.invalid"] + arguments,
        workingDirectory: directory, timeoutSeconds: 60))
    guard result.succeeded else { throw FixtureError(message: result.tail()) }
  }
  try git(["clone", "-q", "--", published.upstream, work])
  // The sample's health answer names the version its release.json holds.
  let release = ["release.json": "{\"version\": \"\(version)\"}"].merging(files) { $1 }
  for (path, text) in release {
    try FileManager.default.createDirectory(
      atPath: FileIO.parent(of: work + "/" + path), withIntermediateDirectories: true)
    try text.write(toFile: work + "/" + path, atomically: true, encoding: .utf8)
  }
  try git(["add", "-A"], in: work)
  try git(["commit", "-q", "-m", "release \(version)"], in: work)
  try git(["tag", "-a", version, "-m", version], in: work)
  try git(["push", "-q", "origin", "HEAD:refs/heads/main", "--tags"], in: work)
}

/// A source distribution whose in-tree build backend (no build dependency
/// needed, so it would really run offline) writes `marker` when imported.
private func writeHostileSdist(into wheelhouse: String, marker: String) throws {
  let staging = FileManager.default.temporaryDirectory.path + "/a0-sdist-\(UUID().uuidString)"
  defer { try? FileManager.default.removeItem(atPath: staging) }
  let root = staging + "/evil_sdist-1.0"
  try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  try """
  [build-system]
  requires = []
  build-backend = "evil_backend"
  backend-path = ["."]

  [project]
  name = "evil-sdist"
  version = "1.0"
  """.write(toFile: root + "/pyproject.toml", atomically: true, encoding: .utf8)
  try """
  open(\(String(reflecting: marker)), "w").write("install-time code ran")
  def get_requires_for_build_wheel(config_settings=None):
      return []
  def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
      raise RuntimeError("never builds")
  """.write(toFile: root + "/evil_backend.py", atomically: true, encoding: .utf8)
  try "Metadata-Version: 2.1\nName: evil-sdist\nVersion: 1.0\n".write(
    toFile: root + "/PKG-INFO", atomically: true, encoding: .utf8)
  let tar = try ProcessRunner().run(
    CommandLineSpec(
      ["tar", "-czf", wheelhouse + "/evil_sdist-1.0.tar.gz", "-C", staging, "evil_sdist-1.0"],
      timeoutSeconds: 60))
  guard tar.succeeded else { throw FixtureError(message: tar.tail()) }
}

@Suite("Requirements that would run code at install time", .serialized)
struct HostileRequirementsTests {
  @Test(
    "requirements that choose their own source are refused before any installer runs",
    arguments: [
      "./evil", "evil @ file:///tmp/evil", "git+https://example.invalid/evil.git", "-e .",
      "--index-url http://example.invalid/simple", "--extra-index-url=http://example.invalid/simple",
      "-f /tmp", "--trusted-host example.invalid", "a0-sample-dep --config-settings x=y",
      "-r ../../outside.txt",
    ])
  func refusedLines(line: String) throws {
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path)
    let marker = scratch.path + "/marker"
    try publishRelease(
      published, in: scratch.path, version: "v1.4.0",
      files: [
        "requirements.txt": "a0-sample-dep\n# a comment\n\(line)\n",
        "evil/setup.py": "open(\(String(reflecting: marker)), 'w').write('ran')\n",
      ])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.4.0")
    let result = try SampleApp.agent(paths, ["begin-staging", "v1.4.0"])
    #expect(result.status == 1, "\(result.stdout)")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("ask for more than packages") == true)
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "FAILED")
    #expect(status?["reason_code"] == "staging_failed")
    #expect(!FileManager.default.fileExists(atPath: marker))
    #expect(((try? FileIO.listDirectory(paths.builds)) ?? []).isEmpty)
    let events = try TestHome.journalEvents(paths)
    #expect(!events.contains { $0.eventType == "dependencies_installed" })
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test("a source distribution is never built (its build code never runs) unless the operator allows it")
  func sourceBuilds() throws {
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path)
    let marker = scratch.path + "/marker"
    try writeHostileSdist(into: published.wheelhouse, marker: marker)
    try publishRelease(
      published, in: scratch.path, version: "v1.4.0",
      files: ["requirements.txt": "a0-sample-dep\nevil-sdist==1.0\n"])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.4.0")
    let refused = try SampleApp.agent(paths, ["begin-staging", "v1.4.0"])
    #expect(refused.status == 1, "\(refused.stdout)")
    #expect(try SampleApp.status(paths)?["current_state"] == "FAILED")
    #expect(!FileManager.default.fileExists(atPath: marker))
    #expect(((try? FileIO.listDirectory(paths.builds)) ?? []).isEmpty)

    // The control: with source builds allowed, the same release runs the
    // backend's code, which shows the refusal above was a0's doing.
    try TestHome.put(paths, state: .idle, authority: .executor)
    try TestHome.configure(paths, ["python.allow_source_builds": "true"])
    try SampleApp.approve(paths, "v1.4.0")
    _ = try SampleApp.agent(paths, ["begin-staging", "v1.4.0"])
    #expect(FileManager.default.fileExists(atPath: marker))
  }

  @Test(
    "uv configuration shipped in a release (uv.toml) chooses nothing: the install stays in the venv",
    .enabled(if: Needs.tool("uv"), Comment(rawValue: Needs.uvReason)))
  func releaseUVConfiguration() throws {
    try #require(TestTools.callerTools.find("uv") != nil, "uv is installed by .ci/run (pip install uv)")
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.home(in: scratch.path, installer: "uv")
    let escaped = scratch.path + "/escaped"
    // Read by `uv pip install` from its working directory unless told not to:
    // this would put the packages anywhere the user can write.
    try publishRelease(
      published, in: scratch.path, version: "v1.4.0",
      files: [
        "uv.toml": "[pip]\ntarget = \(String(reflecting: escaped))\n"
      ])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.4.0")
    let result = try SampleApp.agent(paths, ["begin-staging", "v1.4.0"])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: escaped))
    let artifact = try #require(try Artifacts.find(paths, version: "v1.4.0"))
    #expect(try SampleApp.agent(paths, ["validate"]).status == 0, "the dependency is in the release's venv")
    #expect(TestHome.read(artifact.buildPath + "/build.log").contains("--no-config"))
  }
}

@Suite("Requirements policy")
struct RequirementsPolicyTests {
  @Test("package lines with versions, extras, markers, hashes and includes inside the release pass")
  func allowed() {
    let review = RequirementsPolicy.review(
      """
      # pinned
      requests==2.32.3 --hash=sha256:abc \\
          --hash=sha256:def
      uvicorn[standard]>=0.30 ; python_version >= "3.10"  # trailing comment
      Flask
      --pre
      -r more/requirements-extra.txt
      -cconstraints.txt

      """)
    #expect(review.violations == [])
    #expect(review.includes == ["more/requirements-extra.txt", "constraints.txt"])
  }

  @Test("each way of choosing a source or build is named with its line")
  func refused() {
    let review = RequirementsPolicy.review(
      "ok==1\n-i http://x\n--find-links=/tmp\npkg @ https://x/p.whl\n../pkg\n-e git+https://x\n"
        + "pkg --global-option=x\n-r /etc/passwd\n")
    #expect(review.violations.map(\.line) == [2, 3, 4, 5, 6, 7, 8])
    #expect(review.includes == [])
  }
}
