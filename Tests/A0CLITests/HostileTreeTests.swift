import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

/// Upstream trees a release must never be built from.
@Suite("Hostile upstream trees")
struct HostileTreeTests {
  static let cases: [(String, @Sendable (String) throws -> Void)] = [
    (
      "a symlink pointing outside the tree",
      { work in
        try FileManager.default.createSymbolicLink(atPath: work + "/evil", withDestinationPath: "/etc/passwd")
      }
    ),
    (
      "a relative symlink climbing out",
      { work in
        try FileManager.default.createSymbolicLink(atPath: work + "/up", withDestinationPath: "../../x")
      }
    ),
    (
      "a file name with a newline",
      { work in try "x".write(toFile: work + "/bad\nname.py", atomically: false, encoding: .utf8) }
    ),
    (
      "a committed .venv whose pip.conf names another index",
      { work in
        try FileManager.default.createDirectory(atPath: work + "/.venv", withIntermediateDirectories: true)
        try "[global]\nindex-url = https://evil.invalid/simple\n".write(
          toFile: work + "/.venv/pip.conf", atomically: false, encoding: .utf8)
      }
    ),
  ]

  @Test("staging refuses the tree as an integrity violation and builds nothing", arguments: 0..<4)
  func refused(index: Int) throws {
    let (label, make) = Self.cases[index]
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0"])
    try upstream.commit(tag: "v2.0", adding: make)
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare, name: "app")
    try TestHome.configure(
      paths, ["python.interpreter": "\"python3\"", "python.installer": "\"none\"", "data.linked_paths": "[]"])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v2.0")
    let result = try SampleApp.agent(paths, ["begin-staging", "v2.0"])
    #expect(result.status == 5, "\(label): \(result.stdout)")
    let status = try SampleApp.status(paths)
    #expect(status?["current_state"] == "FAILED")
    #expect(status?["reason_code"] == "integrity_violation")
    #expect(((try? FileIO.listDirectory(paths.builds)) ?? []).isEmpty)
    #expect(
      try A0Binary.run(["list-artifacts", "--home", paths.root, "--json"]).json?["data"]?["artifacts"] == [])
  }

  @Test("a __pycache__ that links into the user data is never written through by the bytecode pass")
  func linkedBytecodeCache() throws {
    let scratch = ScratchDirectory()
    let upstream = try UpstreamFixture(in: scratch.path, tags: ["v1.0"])
    try upstream.commit(tag: "v2.0") { work in
      try FileManager.default.createDirectory(atPath: work + "/data", withIntermediateDirectories: true)
      try "".write(toFile: work + "/data/.gitkeep", atomically: false, encoding: .utf8)
      try FileManager.default.createDirectory(atPath: work + "/pkg", withIntermediateDirectories: true)
      try "VALUE = 1\n".write(toFile: work + "/pkg/mod.py", atomically: false, encoding: .utf8)
      try "VALUE = 3\n".write(toFile: work + "/pkg/other.py", atomically: false, encoding: .utf8)
      try "VALUE = 2\n".write(toFile: work + "/top.py", atomically: false, encoding: .utf8)
      try FileManager.default.createSymbolicLink(
        atPath: work + "/pkg/__pycache__", withDestinationPath: "../data")
    }
    let paths = try TestHome.initialise(in: scratch.path, upstream: upstream.bare, name: "app")
    try TestHome.configure(
      paths,
      [
        "python.interpreter": "\"python3\"", "python.installer": "\"none\"",
        "data.linked_paths": "[\"data/\"]",
      ])
    try TestHome.put(paths, state: .idle, authority: .executor)
    try SampleApp.approve(paths, "v2.0")
    let result = try SampleApp.agent(paths, ["begin-staging", "v2.0"])
    #expect(result.status == 0, "\(result.stdout)")
    let artifact = try #require(try Artifacts.find(paths, version: "v2.0"))
    #expect(FileIO.readLink(artifact.appPath + "/data") == "../../../shared/data")
    let shared = try FileIO.listDirectory(paths.shared + "/data")
    #expect(!shared.contains { $0.hasSuffix(".pyc") }, "bytecode written into the user data: \(shared)")
    let log = TestHome.read(artifact.buildPath + "/build.log")
    #expect(log.contains("pkg/__pycache__ is not a directory of the release"), "\(log)")
    #expect(log.contains("2 files did not compile"), "both sources beside the link are counted")
    // The rest of the release is still compiled.
    #expect(
      try FileIO.listDirectory(artifact.appPath + "/__pycache__").contains { $0.hasPrefix("top.") })
  }

  @Test("a health endpoint that answers with garbage, lying lengths or only slowly is not healthy")
  func garbageHealth() throws {
    let port = try SilentListener.freePort()
    let server = try RunningProcess.python(
      """
      import socket, sys, time
      s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
      answers = [
          b"\\x00\\xffnot http at all\\r\\n\\r\\n",
          b"HTTP/1.1 200 OK\\r\\nContent-Length: -1\\r\\n\\r\\nok",
          b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n-5\\r\\nok\\r\\n0\\r\\n\\r\\n",
          b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n7fffffffffffffff\\r\\nok",
          b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n1\\r\\nA",
      ]
      served = 0
      while True:
          c, _ = s.accept()
          c.recv(4096)
          c.sendall(answers[served % len(answers)])
          served += 1
          time.sleep(0.2)
          c.close()
      """, arguments: [String(port)])
    defer { kill(server.pid, SIGKILL) }
    usleep(300_000)
    let outcome = HealthProbe(http: HTTPClient()).waitUntilHealthy(
      url: "http://127.0.0.1:\(port)/health", timeoutSeconds: 2, intervalSeconds: 0.2, stableSeconds: 0)
    #expect(!outcome.healthy)
    let silent = try SilentListener()
    let started = Date()
    let slow = HealthProbe(http: HTTPClient()).waitUntilHealthy(
      url: "http://127.0.0.1:\(silent.port)/health", timeoutSeconds: 2, intervalSeconds: 0.2, stableSeconds: 0
    )
    #expect(!slow.healthy)
    #expect(Date().timeIntervalSince(started) < 5, "a server that never answers is bounded by the timeout")
  }
}

extension RunningProcess {
  static func python(_ code: String, arguments: [String]) throws -> RunningProcess {
    try A0Binary.startProgram("/usr/bin/env", ["python3", "-c", code] + arguments)
  }
}
