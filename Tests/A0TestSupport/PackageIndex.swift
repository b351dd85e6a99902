import A0System
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A PEP 503 simple index over a wheelhouse, served over HTTPS on
/// 127.0.0.1 with a certificate from a throwaway CA, as a company's private
/// index behind its own CA would be. Only a client that was given `caFile`
/// (through `SSL_CERT_FILE`) can install from it.
public final class TLSPackageIndex {
  public let port: UInt16
  public let caFile: String
  /// The served directory: `files/` and the `simple/` pages.
  public let root: String
  let process: RunningProcess

  public init(in directory: String, wheelhouse: String) throws {
    root = directory + "/index"
    try FileManager.default.createDirectory(atPath: root + "/files", withIntermediateDirectories: true)
    var projects: [String: [String]] = [:]
    for file in try FileManager.default.contentsOfDirectory(atPath: wheelhouse) {
      try FileManager.default.copyItem(atPath: wheelhouse + "/" + file, toPath: root + "/files/" + file)
      let name = file.split(separator: "-").first.map(String.init) ?? file
      projects[name.lowercased().replacingOccurrences(of: "_", with: "-"), default: []].append(file)
    }
    for (project, files) in projects {
      let page = root + "/simple/" + project
      try FileManager.default.createDirectory(atPath: page, withIntermediateDirectories: true)
      let links = files.map { "<a href=\"../../files/\($0)\">\($0)</a>" }.joined(separator: "\n")
      try "<!DOCTYPE html><html><body>\n\(links)\n</body></html>\n".write(
        toFile: page + "/index.html", atomically: false, encoding: .utf8)
    }
    caFile = directory + "/ca.pem"
    try Self.makeCertificates(in: directory)
    port = try SilentListener.freePort()
    let script = """
      import functools, http.server, ssl, sys
      # Every answer is revalidated, as on an index whose pages change, so
      # a file added during a test is seen by the next resolution.
      class Handler(http.server.SimpleHTTPRequestHandler):
          def do_GET(self):
              del self.headers["If-Modified-Since"]
              super().do_GET()
          def end_headers(self):
              self.send_header("Cache-Control", "no-cache")
              super().end_headers()
          def log_message(self, *args):
              pass
      handler = functools.partial(Handler, directory=sys.argv[1])
      server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler)
      context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      context.load_cert_chain(sys.argv[3], sys.argv[4])
      server.socket = context.wrap_socket(server.socket, server_side=True)
      server.serve_forever()
      """
    process = try RunningProcess(
      "/usr/bin/env",
      ["python3", "-c", script, root, String(port), directory + "/server.pem", directory + "/server.key"],
      stdin: "")
    for _ in 0..<100 {
      if (try? ProcessRunner().run(
        CommandLineSpec(["curl", "-sf", "--cacert", caFile, url + "/"], timeoutSeconds: 5)))?.succeeded
        == true
      {
        return
      }
      usleep(50_000)
    }
    throw FixtureError(message: "the package index did not start")
  }

  public var url: String { "https://localhost:\(port)/simple" }

  static func makeCertificates(in directory: String) throws {
    let steps: [[String]] = [
      [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=a0 test CA",
        "-keyout", "ca.key", "-out", "ca.pem",
      ],
      [
        "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
        "-out", "server.csr",
      ],
      [
        "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial",
        "-days", "1", "-out", "server.pem", "-extfile", "san.cnf",
      ],
    ]
    try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n".write(
      toFile: directory + "/san.cnf", atomically: false, encoding: .utf8)
    for step in steps {
      let result = try ProcessRunner().run(
        CommandLineSpec(step, workingDirectory: directory, timeoutSeconds: 60))
      guard result.succeeded else { throw FixtureError(message: "\(step[1]): \(result.tail())") }
    }
  }

  deinit { kill(process.pid, SIGKILL) }
}
