import A0Core
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A TCP listener on a loopback address that accepts connections (the
/// kernel does) and never answers: a hanging server.
public final class SilentListener {
  public let port: UInt16
  private let descriptor: Int32

  public init(address loopback: String = "127.0.0.1") throws {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    self.descriptor = descriptor
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr(loopback)
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    guard bound == 0, listen(descriptor, 16) == 0 else { throw FixtureError(message: "cannot listen") }
    _ = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    port = UInt16(bigEndian: address.sin_port)
  }

  deinit { close(descriptor) }

  /// A port of `address` that was free a moment ago.
  public static func freePort(on address: String = "127.0.0.1") throws -> UInt16 {
    let listener = try SilentListener(address: address)
    return listener.port
  }

  /// Waits up to five seconds until something accepts connections on `address`:`port`.
  public static func waitForListener(address: String = "127.0.0.1", port: UInt16) -> Bool {
    for _ in 0..<100 {
      let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var socketAddress = sockaddr_in()
      socketAddress.sin_family = sa_family_t(AF_INET)
      socketAddress.sin_addr.s_addr = inet_addr(address)
      socketAddress.sin_port = port.bigEndian
      let connected = withUnsafeMutablePointer(to: &socketAddress) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      close(probe)
      if connected == 0 { return true }
      usleep(50_000)
    }
    return false
  }
}

/// A small JSON-over-HTTP server in Python, for fixtures such as the GitHub
/// API: `routes` maps a path to the JSON body returned with status 200.
public final class FixtureHTTPServer {
  public let port: UInt16
  let process: RunningProcess

  public init(in directory: String, routes: [String: String]) throws {
    port = try SilentListener.freePort()
    let routesFile = directory + "/routes-\(port).json"
    let encoded = try JSONSerialization.data(withJSONObject: routes)
    try encoded.write(to: URL(fileURLWithPath: routesFile))
    let script = """
      import http.server, json, sys
      routes = json.load(open(sys.argv[1]))
      class Handler(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              body = routes.get(self.path)
              status = 200 if body is not None else 404
              data = (body if body is not None else '{"message":"Not Found"}').encode()
              self.send_response(status)
              self.send_header("Content-Type", "application/json")
              self.send_header("Content-Length", str(len(data)))
              self.end_headers()
              self.wfile.write(data)
          def log_message(self, *args):
              pass
      server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
      server.timeout = 60
      server.serve_forever()
      """
    process = try RunningProcess(
      "/usr/bin/env", ["python3", "-c", script, routesFile, String(port)], stdin: "")
    guard SilentListener.waitForListener(port: port) else {
      throw FixtureError(message: "the fixture HTTP server did not start")
    }
  }

  public var baseURL: String { "http://127.0.0.1:\(port)" }

  deinit { kill(process.pid, SIGKILL) }
}

/// An HTTP server in Python that answers every POST with 200 and records
/// it (path, headers, body) as one JSON line in `log`: a webhook's receiver.
public final class RecordingHTTPServer {
  public let port: UInt16
  public let log: String
  let process: RunningProcess

  public init(in directory: String) throws {
    port = try SilentListener.freePort()
    log = directory + "/requests-\(port).jsonl"
    let script = """
      import http.server, json, sys
      class Handler(http.server.BaseHTTPRequestHandler):
          def do_POST(self):
              body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
              record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode("utf-8", "replace")}
              with open(sys.argv[1], "a") as log:
                  log.write(json.dumps(record) + "\\n")
              self.send_response(200)
              self.send_header("Content-Type", "application/json")
              self.send_header("Content-Length", "2")
              self.end_headers()
              self.wfile.write(b"{}")
          def log_message(self, *args):
              pass
      server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
      server.serve_forever()
      """
    process = try RunningProcess("/usr/bin/env", ["python3", "-c", script, log, String(port)], stdin: "")
    guard SilentListener.waitForListener(port: port) else {
      throw FixtureError(message: "the recording HTTP server did not start")
    }
  }

  public var baseURL: String { "http://127.0.0.1:\(port)" }

  /// The requests received so far, once `count` have arrived (or 20 s passed).
  public func requests(count: Int) -> [JSONValue] {
    var lines: [JSONValue] = []
    for _ in 0..<200 {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      lines = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
      if lines.count >= count { break }
      usleep(100_000)
    }
    return lines
  }

  deinit { kill(process.pid, SIGKILL) }
}
