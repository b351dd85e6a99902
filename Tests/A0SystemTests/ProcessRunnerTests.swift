import A0Core
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Process runner")
struct ProcessRunnerTests {
  let runner = ProcessRunner()

  @Test("arguments are passed as an array, never through a shell")
  func noShell() throws {
    let result = try runner.run(
      CommandLineSpec(["printf", "%s|", "a b", "$(id)", "; rm -rf /"], timeoutSeconds: 5))
    #expect(result.succeeded)
    #expect(result.stdoutText == "a b|$(id)|; rm -rf /|")
  }

  @Test("stdin, stderr, exit status and working directory are honoured")
  func basics() throws {
    let scratch = ScratchDirectory()
    let result = try runner.run(
      CommandLineSpec(
        ["sh", "-c", "cat; pwd; echo oops >&2; exit 3"], workingDirectory: scratch.path, timeoutSeconds: 5,
        standardInput: Array("hello\n".utf8)))
    #expect(result.status == 3)
    #expect(result.stdoutText == "hello\n\(scratch.path)\n")
    #expect(result.stderrText == "oops\n")
  }

  @Test("the environment is built from nothing")
  func environment() throws {
    setenv("A0_SECRET_TEST", "leak", 1)
    let result = try runner.run(CommandLineSpec(["env"], timeoutSeconds: 5))
    #expect(!result.stdoutText.contains("A0_SECRET_TEST"))
    #expect(result.stdoutText.contains("LC_ALL=C"))
  }

  @Test("a timeout kills the whole process group, grandchildren included")
  func timeout() throws {
    let scratch = ScratchDirectory()
    let marker = scratch.path + "/pid"
    let started = Date()
    let result = try runner.run(
      CommandLineSpec(["sh", "-c", "sleep 60 & echo $! > \(marker); trap '' TERM; wait"], timeoutSeconds: 1))
    #expect(result.timedOut)
    #expect(!result.succeeded)
    #expect(Date().timeIntervalSince(started) < 10)
    let grandchild = Int32(TestHome.read(marker).trimmingCharacters(in: .whitespacesAndNewlines))!
    usleep(100_000)
    #expect(kill(grandchild, 0) != 0, "the grandchild must be gone")
  }

  @Test("a child that exits while a grandchild holds its output does not hang the caller")
  func lingeringGrandchild() throws {
    let started = Date()
    let result = try runner.run(CommandLineSpec(["sh", "-c", "sleep 30 & echo done"], timeoutSeconds: 20))
    #expect(result.status == 0)
    #expect(result.stdoutText == "done\n")
    #expect(Date().timeIntervalSince(started) < 5)
  }

  @Test("huge output is kept to its tail")
  func hugeOutput() throws {
    let result = try runner.run(
      CommandLineSpec(
        ["sh", "-c", "yes line | head -n 2000000; echo last"], timeoutSeconds: 20, outputLimit: 4096))
    #expect(result.succeeded)
    #expect(result.stdout.count <= 8192)
    #expect(result.stdoutText.hasSuffix("last\n"))
  }

  @Test("a missing program is an operation failure naming it")
  func missingProgram() {
    #expect(throws: A0Error.self) {
      try runner.run(CommandLineSpec(["a0-no-such-program"], timeoutSeconds: 5))
    }
  }
}
