import A0Core
import A0System
import A0TestSupport
import Foundation
import Testing

@testable import A0Lifecycle

@Suite("Virtualenv reuse")
struct VirtualenvReuseTests {
  /// A build with a small relocatable venv and a manifest that records it.
  func artifact(in root: String, pyvenv: String = "home = /usr/bin\nrelocatable = true\n") throws
    -> ArtifactInfo
  {
    let build = root + "/builds/op-1"
    let venv = build + "/app/.venv"
    let sitePackages = venv + "/lib/python3.11/site-packages"
    try FileManager.default.createDirectory(atPath: sitePackages + "/dep", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: venv + "/bin", withIntermediateDirectories: true)
    try pyvenv.write(toFile: venv + "/pyvenv.cfg", atomically: false, encoding: .utf8)
    try "x = 1\n".write(toFile: sitePackages + "/dep/__init__.py", atomically: false, encoding: .utf8)
    try "#!/bin/sh\nexec \"$(dirname -- \"$0\")/python\" -m dep\n".write(
      toFile: venv + "/bin/dep", atomically: false, encoding: .utf8)
    #expect(symlink("/usr/bin/python3", venv + "/bin/python") == 0)
    let digest = try TreeHasher.digest(root: venv, excludingTopLevel: [], includingBytecode: true)
    let manifest = Manifest(
      version: "v1.0.0", builtAt: "2026-01-01T00:00:00.000Z", sourceURL: "/srv/app.git", commitSHA: "abc",
      files: [:], treeHash: "t", buildID: "op-1", buildLogPath: nil, virtualenvHash: digest.treeHash,
      python: "python3 3.11.7", installer: "uv", dependencyKey: "k")
    return ArtifactInfo(version: "v1.0.0", buildID: "op-1", manifest: manifest, buildPath: build)
  }

  @Test("an intact relocatable venv is copied with the digest its manifest recorded")
  func copied() throws {
    let scratch = ScratchDirectory()
    let source = try artifact(in: scratch.path)
    let target = scratch.path + "/builds/op-2/app/.venv"
    try FileManager.default.createDirectory(
      atPath: scratch.path + "/builds/op-2/app", withIntermediateDirectories: true)
    guard
      case .copied(let digest) = VirtualenvReuse.copy(
        from: source, to: target, builds: scratch.path + "/builds")
    else {
      Issue.record("the copy was refused")
      return
    }
    #expect(digest.treeHash == source.manifest.virtualenvHash)
    #expect(FileIO.readLink(target + "/bin/python") == "/usr/bin/python3")
  }

  @Test(
    "a venv that is not relocatable, changed since its manifest, or naming a build's path is refused, leaving nothing"
  )
  func refused() throws {
    let cases: [(String, (ArtifactInfo) throws -> Void, String)] = [
      ("home = /usr/bin\n", { _ in }, "is not relocatable"),
      ("home = /usr/bin\nrelocatable = false\n", { _ in }, "is not relocatable"),
      (
        "home = /usr/bin\nrelocatable = true\n",
        { info in
          try "x = 2\n".write(
            toFile: info.appPath + "/.venv/lib/python3.11/site-packages/dep/__init__.py", atomically: false,
            encoding: .utf8)
        }, "no longer matches its manifest"
      ),
    ]
    for (pyvenv, change, expected) in cases {
      let scratch = ScratchDirectory()
      let source = try artifact(in: scratch.path, pyvenv: pyvenv)
      try change(source)
      let target = scratch.path + "/copy"
      guard
        case .refused(let reason) = VirtualenvReuse.copy(
          from: source, to: target, builds: scratch.path + "/builds")
      else {
        Issue.record("copied: \(pyvenv)")
        continue
      }
      #expect(reason.contains(expected), "\(reason)")
      #expect(!FileIO.exists(target))
    }

    // A script recorded in the manifest that names a build's own path.
    let scratch = ScratchDirectory()
    let builds = scratch.path + "/builds"
    var source = try artifact(in: scratch.path)
    try "#!\(builds)/op-1/app/.venv/bin/python\n".write(
      toFile: source.appPath + "/.venv/bin/dep", atomically: false, encoding: .utf8)
    source.manifest.virtualenvHash = try TreeHasher.digest(
      root: source.appPath + "/.venv", excludingTopLevel: [], includingBytecode: true
    )
    .treeHash
    guard
      case .refused(let reason) = VirtualenvReuse.copy(
        from: source, to: scratch.path + "/copy", builds: builds)
    else {
      Issue.record("a venv naming its build's path was copied")
      return
    }
    #expect(reason.contains("bin/dep"), "\(reason)")
    #expect(!FileIO.exists(scratch.path + "/copy"))
  }

  @Test("the files that name paths are found: scripts and .pth files, not symlinks")
  func pathNaming() throws {
    let scratch = ScratchDirectory()
    let venv = scratch.path + "/venv"
    let sitePackages = venv + "/lib/python3.12/site-packages"
    try FileManager.default.createDirectory(atPath: sitePackages, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: venv + "/bin", withIntermediateDirectories: true)
    try "home = /usr/bin\n".write(toFile: venv + "/pyvenv.cfg", atomically: false, encoding: .utf8)
    #expect(symlink("/srv/builds/op-9/python", venv + "/bin/python") == 0)
    #expect(VirtualenvReuse.pathNaming(["/srv/builds/"], in: venv) == nil)
    try "/srv/builds/op-9/extra\n".write(
      toFile: sitePackages + "/extra.pth", atomically: false, encoding: .utf8)
    #expect(
      VirtualenvReuse.pathNaming(["/srv/builds/"], in: venv) == "lib/python3.12/site-packages/extra.pth")
    #expect(VirtualenvReuse.pathNaming(["/elsewhere/"], in: venv) == nil)
  }

  @Test("relocatable means the line `relocatable = true`, however spaced")
  func relocatable() {
    #expect(VirtualenvReuse.isRelocatable("home = /usr\nrelocatable = true\n"))
    #expect(VirtualenvReuse.isRelocatable("relocatable=true"))
    #expect(!VirtualenvReuse.isRelocatable("relocatable = false"))
    #expect(!VirtualenvReuse.isRelocatable("# relocatable = true"))
    #expect(!VirtualenvReuse.isRelocatable("home = /usr\n"))
  }
}
