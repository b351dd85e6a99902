import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// A command's progress on stderr: live on a terminal, plain lines in a
/// log, nothing with --quiet or --json.
@Suite("Progress a person can watch", .serialized)
struct ProgressTests {
  /// The lines a terminal of `columns` shows for `raw`: each `\r` starts the
  /// row again and `ESC[K` erases the rest of it, as a terminal does.
  func screenLines(_ raw: String) -> [String] {
    raw.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
      .map { row in
        String(row.split(separator: "\r", omittingEmptySubsequences: false).last ?? "")
          .replacingOccurrences(of: "\u{1B}[K", with: "")
      }
  }

  /// Every piece a redraw writes: what was on the row between two `\r`.
  func drawnPieces(_ raw: String) -> [String] {
    raw.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").flatMap {
      $0.split(separator: "\r").map { String($0).replacingOccurrences(of: "\u{1B}[K", with: "") }
    }
  }

  @Test(
    "on a terminal the running step is shown live, finished steps stay a line each, and no line outgrows a narrow terminal"
  )
  func liveOnATerminal() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    // A custom check slow enough to be watched while it runs.
    try TestHome.configure(paths, ["validation.custom_checks": "[[\"/bin/sleep\", \"3\"]]"])
    let typescript = scratch.path + "/typescript"
    let command =
      "stty cols 50 rows 20; exec \(A0Binary.shellQuote(A0Binary.path)) upgrade v1.0.0 --home "
      + A0Binary.shellQuote(paths.root)
    let running = try A0Binary.startProgram("/usr/bin/script", ["-qfec", command, typescript])
    var seenWhileRunning = ""
    for _ in 0..<600 {
      let raw = (try? String(contentsOfFile: typescript, encoding: .utf8)) ?? ""
      if drawnPieces(raw).contains(where: { $0.contains("custom") && !$0.hasPrefix("ok") }) {
        seenWhileRunning = raw
        break
      }
      usleep(50_000)
    }
    let result = running.wait()
    #expect(result.status == 0, "\(result.stdout)")
    let raw = try String(contentsOfFile: typescript, encoding: .utf8)

    // While the custom check ran, staging and the checks before it were done, and promotion not begun.
    let before = screenLines(seenWhileRunning)
    #expect(before.contains { $0.hasPrefix("ok") && $0.contains("dependencies") }, "\(before)")
    #expect(before.contains { $0.hasPrefix("ok") && $0.contains("imports") }, "\(before)")
    #expect(!seenWhileRunning.contains("restart"), "the promotion had not begun: \(before)")
    let live = drawnPieces(seenWhileRunning).last { $0.contains("custom") } ?? ""
    #expect(
      live.range(of: #"^[-\\|/] +custom +[0-9]+\.[0-9] s"#, options: .regularExpression) != nil, "\(live)")

    // Afterwards: one finished line per step, in order, and the result.
    let finished = screenLines(raw).filter { $0.hasPrefix("ok ") }.compactMap {
      $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init)
    }
    #expect(
      finished == [
        "clone", "check", "link-data", "dependencies", "precompile", "hash", "manifest", "publish",
        "structure", "integrity", "imports", "dependencies", "config", "health", "custom", "snapshot",
        "switch", "restart", "health",
      ], "\(finished)")
    #expect(raw.contains("v1.0.0"))
    // 50 columns: no piece of progress reaches the last one, so none wraps.
    let progress = drawnPieces(raw).filter { piece in
      piece.hasPrefix("ok ") || piece.range(of: #"^[-\\|/] "#, options: .regularExpression) != nil
    }
    #expect(progress.count > finished.count, "live redraws were seen")
    #expect(
      progress.contains { $0.contains("dependencies") && $0.contains("Looking in links") },
      "the installer's own line shows what it does")
    for piece in progress {
      #expect(piece.unicodeScalars.count <= 49, "\(piece.unicodeScalars.count) columns: \(piece)")
    }
  }

  @Test(
    "in a log: a plain line per step start and end, no control sequence; --quiet and --json print no progress"
  )
  func plainLinesElsewhere() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    let staged = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root])
    #expect(staged.status == 0, "\(staged.stdout)")
    let lines = staged.stderr.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("a0: clone: v1.0.0 from ") == true, "\(lines)")
    #expect(
      lines.contains { $0.range(of: #"^a0: ok +clone +[0-9.]+ s"#, options: .regularExpression) != nil })
    let started = lines.filter { !$0.hasPrefix("a0: ok") }.count
    #expect(started == 8 && lines.count == 16, "a start and an end for each of the 8 steps: \(lines)")
    #expect(!staged.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(staged.stderr)")

    let validated = try A0Binary.run(["validate", "--home", paths.root])
    #expect(validated.status == 0 && validated.stderr.contains("a0: ok      imports"), "\(validated.stderr)")
    let quiet = try A0Binary.run(["validate", "--quiet", "--home", paths.root])
    #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
    let json = try A0Binary.run(["validate", "--json", "--home", paths.root])
    #expect(json.status == 0 && json.stderr.isEmpty, "\(json.stderr)")
    #expect(json.json?["command"] == "validate", "stdout is the one document: \(json.stdout)")
  }
}

extension ProgressTests {
  @Test(
    "a terminal made narrower while a step runs keeps no piece of the live line drawn before (tmux reflows it)",
    .enabled(if: Needs.tool("tmux")))
  func narrowedWhileRunning() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    let detail = String(repeating: "xyz", count: 40)
    try TestHome.configure(
      paths, ["validation.custom_checks": "[[\"/bin/sh\", \"-c\", \"echo \(detail); sleep 6\"]]"])
    let socket = scratch.path + "/tmux.sock"
    func tmux(_ arguments: [String]) throws -> A0Binary.Result {
      try A0Binary.runProgram("/usr/bin/tmux", ["-S", socket] + arguments, stdin: "", environment: [:])
    }
    func pane() throws -> [String] {
      try tmux(["capture-pane", "-p", "-t", "progress"]).stdout.split(separator: "\n").map(String.init)
    }
    let command =
      "\(A0Binary.shellQuote(A0Binary.path)) validate --only custom --home \(A0Binary.shellQuote(paths.root)); sleep 60"
    let started = try tmux(["new-session", "-d", "-s", "progress", "-x", "130", "-y", "30", command])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? tmux(["kill-server"]) }
    var rows: [String] = []
    for _ in 0..<200 where !rows.contains(where: { $0.contains("custom") && $0.contains("xyzxyz") }) {
      usleep(100_000)
      rows = try pane()
    }
    #expect(
      rows.contains { $0.contains("custom") && $0.contains("xyzxyz") }, "the check's line is shown: \(rows)")
    #expect(try tmux(["resize-window", "-t", "progress", "-x", "40"]).status == 0)
    usleep(800_000)
    rows = try pane()
    let pieces = rows.filter { $0.contains("xyz") }
    #expect(
      pieces.count == 1 && pieces.first?.contains("custom") == true, "one live line, no piece left: \(rows)")
    #expect(rows.allSatisfy { $0.count <= 40 }, "\(rows)")
  }

  @Test("a promotion that fails its health check shows the failed step, then each step of the rollback")
  func rollbackSteps() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.home(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    try SampleApp.putInProduction(paths, "v1.0.0")
    try SampleApp.approve(paths, "v1.3.0")
    let result = try A0Binary.run(["upgrade", "v1.3.0", "--home", paths.root])
    #expect(result.status == 1, "\(result.stdout)")
    let ended = result.stderr.split(separator: "\n").filter {
      $0.hasPrefix("a0: ok ") || $0.hasPrefix("a0: FAILED ")
    }.map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ") }
    #expect(
      Array(ended.suffix(6)) == [
        "a0: FAILED health", "a0: ok stop", "a0: ok switch-back", "a0: ok restore-data", "a0: ok restart",
        "a0: ok health",
      ], "the sample app's [service] stop is set, so the rollback stops it first: \(ended)")
  }
}

@Suite("Following a command from another process", .serialized)
struct FollowTests {
  @Test(
    "status --follow shows a detached upgrade's steps and ends with its exit code: 0, then 1 for a failed one"
  )
  func followDetached() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.approved(in: scratch.path)
    defer { SampleApp.stopService(paths) }
    // The lock names a process that still runs (an MCP server, say) but no longer holds it.
    try TestHome.write(paths.lock, "{\"command\":\"a0 mcp\",\"pid\":\(getpid())}\n")
    let nothing = try A0Binary.run(["status", "--follow", "--home", paths.root])
    #expect(nothing.status == 0 && nothing.stderr.isEmpty, "nothing runs: \(nothing.stderr)")

    let started = try A0Binary.run(["upgrade", "v1.0.0", "--detach", "--home", paths.root])
    #expect(started.status == 0 && started.stdout.contains("a0 status --follow"), "\(started.stdout)")
    let followed = try A0Binary.run(["status", "--follow", "--home", paths.root])
    #expect(followed.status == 0, "\(followed.stdout)\(followed.stderr)")
    let ended = followed.stderr.split(separator: "\n").filter {
      $0.hasPrefix("a0: ok ") || $0.hasPrefix("a0: skipped ")
    }
    #expect(ended.count == 19, "every step of the upgrade, whenever the follower began: \(ended)")
    #expect(followed.stdout.contains("COMPLETE"), "then the status: \(followed.stdout)")

    try SampleApp.confirm(paths, "v1.0.0")
    // A detached command refused before its first step: --detach answers with its refusal.
    let refused = try A0Binary.run(["upgrade", "v1.1.0", "--detach", "--home", paths.root, "--json"])
    #expect(refused.status == 6, "no approval of v1.1.0: \(refused.stdout)")
    #expect(refused.json?["error"]?["code"] == "approval_required", "\(refused.stdout)")

    try SampleApp.approve(paths, "v1.2.0")
    #expect(try A0Binary.run(["upgrade", "v1.2.0", "--detach", "--home", paths.root]).status == 0)
    let failed = try A0Binary.run(["staging-status", "--follow", "--home", paths.root, "--json"])
    #expect(failed.status == 1, "the upgrade's exit code: \(failed.stdout)")
    #expect(failed.json?["error"]?["message"]?.stringValue?.contains("`a0 upgrade` failed") == true)
    #expect(failed.stderr.isEmpty, "--json: no progress on stderr")
  }

  @Test(
    "a follower whose command is killed says so, with what recovery found, and exits 1; it never held the lock"
  )
  func followKilled() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.configure(paths, ["validation.custom_checks": "[[\"/bin/sleep\", \"60\"]]"])
    let validating = try A0Binary.start(["validate", "--home", paths.root])
    var began = false
    for _ in 0..<300 where !began {
      usleep(100_000)
      began = ((try? String(contentsOfFile: paths.progress, encoding: .utf8)) ?? "").contains("\"custom\"")
    }
    #expect(began)
    let follower = try A0Binary.start(["status", "--follow", "--home", paths.root])
    usleep(500_000)
    // The follower took no lock: another command waiting for it is only held by validate.
    let busy = try A0Binary.run(["cleanup-artifacts", "--home", paths.root, "--json"])
    #expect(busy.json?["error"]?["why"]?.stringValue?.contains("validate") == true, "\(busy.stdout)")
    kill(validating.pid, SIGKILL)
    _ = validating.wait()
    let result = follower.wait()
    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
    #expect(
      result.stderr.contains("`a0 validate` (pid \(validating.pid)) ended before it finished"),
      "\(result.stderr)")
    #expect(result.stderr.contains("a0: ok      imports"), "the steps it had shown: \(result.stderr)")
  }
}
