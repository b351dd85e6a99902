import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("Validation", .serialized)
struct ValidationTests {
  @Test("a good version passes every check and stays in VALIDATING with validation_passed journaled")
  func passes() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.write(paths.shared + "/.env", "GREETING=hi\n# comment\nexport MODE=test\n")
    let result = try SampleApp.agent(paths, ["validate"])
    #expect(result.status == 0, "\(result.stdout)")
    let checks = result.json?["data"]?["checks"]?.arrayValue ?? []
    let statuses = Dictionary(
      uniqueKeysWithValues: checks.compactMap { check in
        check["check"]?.stringValue.map { ($0, check["status"]?.stringValue ?? "") }
      })
    #expect(
      statuses == [
        "structure": "pass", "integrity": "pass", "imports": "pass", "dependencies": "pass", "config": "pass",
        "health": "pass", "custom": "skip",
      ])
    #expect(try SampleApp.status(paths)?["current_state"] == "VALIDATING")
    #expect(try TestHome.journalEvents(paths).last?.eventType == "validation_passed")
    let reportPath = try #require(result.json?["data"]?["report_path"]?.stringValue)
    #expect(FileManager.default.fileExists(atPath: reportPath))
    #expect(!FileManager.default.fileExists(atPath: paths.root + "/app"), "production is never touched")
    #expect(SampleApp.processes(matching: paths.billy + "/tmp").isEmpty)
  }

  @Test("a module that fails to import fails the imports check and ends in FAILED")
  func importFails() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path, version: "v1.2.0")
    let result = try SampleApp.agent(paths, ["validate"])
    #expect(result.status == 1)
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "FAILED")
    #expect(status?["reason_code"] == "validation_error")
    #expect(status?["last_failure"]?["error"]?.stringValue?.contains("imports") == true)
    #expect(SampleApp.processes(matching: paths.billy + "/tmp").isEmpty)
  }

  @Test(
    "a server that never answers, and one that hangs on start, fail the health check within its timeout",
    arguments: [
      #"import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(120)"#,
      "import time; time.sleep(120)",
    ])
  func healthNeverAnswers(code: String) throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.configure(
      paths,
      [
        "service.start":
          "[\"{python}\", \"-c\", \"\(code.replacingOccurrences(of: "\"", with: "\\\""))\", \"{port}\"]",
        "service.health_timeout_seconds": "3",
      ])
    let started = Date()
    let result = try SampleApp.agent(paths, ["validate", "--only", "health"])
    #expect(result.status == 1, "\(result.stdout)")
    #expect(Date().timeIntervalSince(started) < 20)
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("health") == true)
    #expect(try SampleApp.status(paths)?["current_state"] == "FAILED")
    #expect(SampleApp.processes(matching: "time.sleep(120)").isEmpty, "the scratch server's group is stopped")
  }

  @Test(
    "a file edited after staging fails the integrity check, naming it, and is never run; executor is revoked")
  func editedAfterStaging() throws {
    for only in [[], ["--only", "imports"]] {
      let scratch = ScratchDirectory()
      let (paths, _) = try SampleApp.staged(in: scratch.path)
      let artifact = try #require(try Artifacts.find(paths, version: "v1.0.0"))
      let marker = scratch.path + "/tampered-code-ran"
      try TestHome.write(artifact.appPath + "/app.py", "open('\(marker)', 'w').write('ran')\n")
      let result = try SampleApp.agent(paths, ["validate"] + only)
      #expect(result.status == 1)
      #expect(result.json?["error"]?["message"]?.stringValue?.contains("changed app.py") == true)
      #expect(!FileManager.default.fileExists(atPath: marker), "\(only): the tampered release's code ran")
      let status = try SampleApp.status(paths)
      #expect(status?["current_state"] == "FAILED")
      #expect(status?["reason_code"] == "integrity_violation")
      #expect(status?["authority_level"] == "observer")
    }
  }

  @Test("the dry run must name the version it was given: another version answering fails the health check")
  func healthNamesTheVersion() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    // The sample answers {"status": "ok", "version": "v1.0.0", ...}.
    try TestHome.configure(paths, ["service.health_version": "\"status\""])
    let wrong = try SampleApp.agent(paths, ["validate", "--only", "health"])
    #expect(wrong.status == 1, "\(wrong.stdout)")
    #expect(
      wrong.json?["error"]?["message"]?.stringValue?.contains(#"status is "ok", not "v1.0.0""#) == true,
      "\(wrong.stdout)")
  }

  @Test(
    "the dry run is production's twin: the release sees a copy of the user's data through its own links, and what it does there stays there"
  )
  func dryRunTwin() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.write(paths.shared + "/data/notes.json", "the user's notes")
    // A link in the user's data that leads out of it is not carried into the copy.
    let outside = scratch.path + "/outside"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    #expect(symlink(outside, paths.shared + "/data/escape") == 0)
    // Serves 200 only if data/ is a link (as in production) to a copy holding the user's file.
    let twin = #"""
      import http.server, os, sys
      with open("data/notes.json") as handle: seen = handle.read()
      open("data/written-by-the-dry-run", "w").write("x")
      try:
          open("data/escape/written-through-a-link", "w").write("x")
      except OSError:
          pass
      ok = os.path.islink("data") and seen == "the user's notes"
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              self.send_response(200 if ok else 500); self.end_headers(); self.wfile.write(b'{"version": "v1.0.0"}')
      http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
      """#
    try TestHome.configure(
      paths, ["service.start": "[\"{python}\", \"-c\", \(TOMLText.quote(twin)), \"{port}\"]"])
    let result = try SampleApp.agent(paths, ["validate", "--only", "health"])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: paths.shared + "/data/written-by-the-dry-run"))
    #expect(!FileManager.default.fileExists(atPath: outside + "/written-through-a-link"))
    #expect(TestHome.read(paths.shared + "/data/notes.json") == "the user's notes")
  }

  @Test(
    "a release whose start moves a linked path (as Agent Zero's migration renames legacy links) fails validation, not production"
  )
  func dryRunCatchesMovedLinks() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.write(paths.shared + "/.env", "KEY=value\n")
    // Renames its .env link into data/, where the relative link dangles, then reads its settings.
    let migrating = #"""
      import http.server, os, sys
      os.rename(".env", "data/.env")
      open("data/.env").read()
      """#
    try TestHome.configure(
      paths, ["service.start": "[\"{python}\", \"-c\", \(TOMLText.quote(migrating)), \"{port}\"]"])
    let started = Date()
    let result = try SampleApp.agent(paths, ["validate", "--only", "health"])
    #expect(result.status == 1, "\(result.stdout)")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("exited") == true, "\(result.stdout)")
    #expect(Date().timeIntervalSince(started) < 5, "a process that exits fails at once")
    #expect(TestHome.read(paths.shared + "/.env") == "KEY=value\n")
    #expect(!FileManager.default.fileExists(atPath: paths.shared + "/data/.env"))
  }

  @Test("a broken config file in the user's data fails the config check")
  func brokenConfig() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    try TestHome.write(paths.shared + "/.env", "this line is not KEY=VALUE\n")
    let result = try SampleApp.agent(paths, ["validate"])
    #expect(result.status == 1)
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("config") == true)
    #expect(
      TestHome.read(paths.shared + "/.env") == "this line is not KEY=VALUE\n", "the user's file is only read")
  }

  @Test(
    "a partial run never authorises promote; an artifact edited after validation is refused by promote (2)")
  func promoteNeedsFullReport() throws {
    let scratch = ScratchDirectory()
    let (paths, _) = try SampleApp.staged(in: scratch.path)
    #expect(try SampleApp.agent(paths, ["validate", "--only", "structure"]).status == 0)
    let partial = try SampleApp.agent(paths, ["promote"])
    #expect(partial.status == 2)
    #expect(partial.json?["error"]?["message"]?.stringValue?.contains("no passing validation report") == true)
    #expect(try SampleApp.agent(paths, ["validate"]).status == 0)
    let artifact = try #require(try Artifacts.find(paths, version: "v1.0.0"))
    try TestHome.write(artifact.appPath + "/release.json", "{}")
    let edited = try SampleApp.agent(paths, ["promote"])
    #expect(edited.status == 2, "\(edited.stdout)")
    #expect(
      edited.json?["error"]?["message"]?.stringValue?.contains("changed since it was validated") == true)
    #expect(FileIO.readLink(paths.root + "/app") == nil, "production is untouched")
    #expect(try SampleApp.status(paths)?["current_state"] == "VALIDATING")
  }

  @Test("an unknown check name is bad input")
  func unknownCheck() throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    #expect(try A0Binary.run(["validate", "--only", "vibes", "--home", paths.root]).status == 65)
  }
}
