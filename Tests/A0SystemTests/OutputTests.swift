import Foundation
import Testing

@testable import A0System

@Suite("Progress output never waits on its reader")
struct OutputTests {
  @Test("a progress line to a pipe nobody reads is dropped at once, not waited on")
  func fullPipe() throws {
    var ends: [Int32] = [-1, -1]
    #expect(pipe(&ends) == 0)
    defer { for end in ends { close(end) } }
    // Fill the pipe through a non-blocking description of our own.
    let filler = open("/proc/self/fd/\(ends[1])", O_WRONLY | O_NONBLOCK)
    defer { close(filler) }
    let chunk = [UInt8](repeating: 0x2E, count: 4096)
    while chunk.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
    let started = Date()
    FileHandleOutput(descriptor: ends[1]).writeWithoutWaiting(String(repeating: "progress ", count: 1000))
    #expect(Date().timeIntervalSince(started) < 1)
    // The caller's description is untouched: still blocking.
    #expect(fcntl(ends[1], F_GETFL) & O_NONBLOCK == 0)
  }
}

@Suite("Children a dead a0 left behind")
struct OrphanMarkTests {
  @Test("a child carrying a dead holder's mark for this home is found by its process group; others are not")
  func found() throws {
    let home = "/tmp/a0-orphan-test/.billy/home"
    let deadHolder: Int32 = 999_999
    let marked = try BackgroundProcess(
      CommandLineSpec(
        ["/bin/sleep", "30"], environment: [ChildEnvironment.holderVariable: "\(home):\(deadHolder)"],
        timeoutSeconds: 0), in: ChildEnvironment(), logPath: "/dev/null")
    let other = try BackgroundProcess(
      CommandLineSpec(
        ["/bin/sleep", "30"],
        environment: [ChildEnvironment.holderVariable: "/elsewhere/.billy/home:\(deadHolder)"],
        timeoutSeconds: 0), in: ChildEnvironment(), logPath: "/dev/null")
    defer {
      marked.stop()
      other.stop()
    }
    // A child shows its own environment once it has started its program.
    var groups: [Int32] = []
    for _ in 0..<100 where groups.isEmpty {
      groups = ChildEnvironment(home: home).orphanGroups(ofHolder: deadHolder)
      if groups.isEmpty { usleep(20_000) }
    }
    #expect(groups == [marked.pid])
    #expect(ChildEnvironment(home: home).orphanGroups(ofHolder: deadHolder + 1).isEmpty)
  }
}
