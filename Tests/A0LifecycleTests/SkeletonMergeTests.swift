import A0Core
import A0System
import A0TestSupport
import Foundation
import Testing

@testable import A0Lifecycle

@Suite("Skeleton files merged into the user's data")
struct SkeletonMergeTests {
  @Test("missing skeleton files are copied, a user's file is kept, and a link in the data is never followed")
  func merge() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    let skeleton = Artifacts.buildPath(paths, "op-1") + "/skeleton"
    for directory in ["usr/new", "usr/linked", "usr/kept"] {
      try FileManager.default.createDirectory(
        atPath: skeleton + "/" + directory, withIntermediateDirectories: true)
    }
    for file in ["usr/new/a.json", "usr/linked/b.json", "usr/kept/c.json"] {
      try "skeleton\n".write(toFile: skeleton + "/" + file, atomically: false, encoding: .utf8)
    }
    // The service's user owns its data and can plant a link to a0's own files.
    let elsewhere = scratch.path + "/elsewhere"
    try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
      atPath: paths.shared + "/usr/kept", withIntermediateDirectories: true)
    try "mine\n".write(toFile: paths.shared + "/usr/kept/c.json", atomically: false, encoding: .utf8)
    #expect(symlink(elsewhere, paths.shared + "/usr/linked") == 0)

    let machine = try Machine.openForMutation(paths: paths, command: "test", waitSeconds: 0)
    try Promoter(machine: machine).copyMissingSkeleton(buildID: "op-1")

    #expect(TestHome.read(paths.shared + "/usr/new/a.json") == "skeleton\n")
    #expect(TestHome.read(paths.shared + "/usr/kept/c.json") == "mine\n")
    #expect(try FileIO.listDirectory(elsewhere).isEmpty, "nothing is written through the link")
  }
}
