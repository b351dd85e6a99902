import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// A small tmpfs, mounted for one test (root is available in CI).
private final class SmallDisk {
  let path: String
  init(_ path: String, megabytes: Int) throws {
    self.path = path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let result = try ProcessRunner().run(
      CommandLineSpec(
        ["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path], timeoutSeconds: 30))
    guard result.succeeded else { throw FixtureError(message: "mount: \(result.tail())") }
  }
  deinit { _ = try? ProcessRunner().run(CommandLineSpec(["umount", "-l", path], timeoutSeconds: 30)) }

  var usedKilobytes: Int {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return -1 }
    return Int((info.f_blocks - info.f_bfree) * UInt(info.f_frsize) / 1024)
  }
}

@Suite("Disk full", .serialized)
struct DiskFullTests {
  @Test(
    "staging into a full disk fails cleanly, frees what it wrote, and ends in FAILED with the reason",
    .enabled(if: Needs.root, Comment(rawValue: Needs.rootReason)))
  func stagingRunsOutOfSpace() throws {
    try #require(getuid() == 0, "mounting a tmpfs needs root, which CI has")
    let scratch = ScratchDirectory()
    let published = try SampleApp.publish(in: scratch.path)
    let disk = try SmallDisk(scratch.path + "/disk", megabytes: 6)
    let paths = try TestHome.initialise(in: disk.path, upstream: published.upstream, name: "app")
    try TestHome.configure(
      paths,
      [
        "python.interpreter": "\"python3\"", "python.installer": "\"pip\"",
        "python.wheelhouse": "\"\(published.wheelhouse)\"", "data.linked_paths": "[\"data/\", \".env\"]",
      ])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v1.0.0")
    let usedBefore = disk.usedKilobytes
    let result = try SampleApp.agent(paths, ["begin-staging", "v1.0.0"])
    #expect(result.status == 1, "\(result.stdout)")
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "FAILED")
    #expect(status?["reason_code"] == "staging_failed")
    #expect(((try? FileIO.listDirectory(paths.builds)) ?? []).isEmpty)
    #expect(disk.usedKilobytes < usedBefore + 512, "what staging wrote is freed")
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }

  @Test(
    "a journal append that cannot be written stops the command before any state change",
    .enabled(if: Needs.root, Comment(rawValue: Needs.rootReason)))
  func journalCannotBeWritten() throws {
    try #require(getuid() == 0, "mounting a tmpfs needs root, which CI has")
    let scratch = ScratchDirectory()
    let disk = try SmallDisk(scratch.path + "/disk", megabytes: 2)
    let paths = try TestHome.create(in: disk.path)
    try TestHome.put(paths, state: .failed)
    // tmpfs gives whole pages: end the journal 10 bytes short of a page
    // boundary, so the next line needs a page the full disk cannot give.
    let original = TestHome.read(paths.journal)
    try Journal(path: paths.journal).append(
      eventType: "padding", actor: "system", details: ["pad": ""], at: ManualClock().now())
    let base = TestHome.read(paths.journal).utf8.count - original.utf8.count
    try TestHome.write(paths.journal, original)
    let padding = (4096 - (original.utf8.count + base + 10) % 4096) % 4096
    try Journal(path: paths.journal).append(
      eventType: "padding", actor: "system",
      details: ["pad": .string(String(repeating: "x", count: padding))],
      at: ManualClock().now())
    #expect(TestHome.read(paths.journal).utf8.count % 4096 == 4086)
    let stateBefore = TestHome.read(paths.state)
    let journalBefore = TestHome.read(paths.journal)
    // Fill the disk to the last byte.
    _ = try ProcessRunner().run(
      CommandLineSpec(["dd", "if=/dev/zero", "of=\(disk.path)/filler", "bs=4k"], timeoutSeconds: 30))
    let result = try A0Binary.runAtTerminal(
      ["clear-failure", "--reason", "x", "--home", paths.root], typed: "clear-failure\n")
    #expect(result.status == 1, "\(result.stdout)")
    #expect(result.stdout.contains("cannot write to the journal") || result.stdout.contains("No space"))
    #expect(TestHome.read(paths.state) == stateBefore, "state.json is unchanged")
    #expect(TestHome.read(paths.journal) == journalBefore, "no partial line is left")
    try FileManager.default.removeItem(atPath: disk.path + "/filler")
    #expect(try SampleApp.status(paths)?["current_state"] == "FAILED")
    #expect(try A0Binary.run(["audit", "verify", "--home", paths.root]).status == 0)
  }
}
