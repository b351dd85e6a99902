import A0Core

#if canImport(Glibc)
  import Glibc
#endif

public struct HTTPResponse: Sendable {
  public var status: Int
  public var body: [UInt8]
  public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// HTTP GET, with one deadline for connect, send and receive.
public protocol HTTPFetching: Sendable {
  func get(_ url: String, headers: [String: String], timeoutSeconds: Double) throws(A0Error) -> HTTPResponse
}

/// `http://` over a plain socket (health checks and loopback fixtures),
/// `https://` through curl, started with an argument array. Keeping TLS out
/// of the binary keeps every a0 start fast.
public struct HTTPClient: HTTPFetching {
  public static let bodyLimit = 4 << 20
  let runner: any CommandRunning

  public init(runner: any CommandRunning = ProcessRunner()) { self.runner = runner }

  public func get(_ url: String, headers: [String: String] = [:], timeoutSeconds: Double) throws(A0Error)
    -> HTTPResponse
  {
    let lowered = url.lowercased()
    if lowered.hasPrefix("https://") {
      return try viaCurl(url, headers: headers, timeoutSeconds: timeoutSeconds)
    }
    guard lowered.hasPrefix("http://") else { throw A0Error(.badInput, "\(url) is not an http(s) URL") }
    return try PlainHTTP.get(url, headers: headers, timeoutSeconds: timeoutSeconds)
  }

  private func viaCurl(_ url: String, headers: [String: String], timeoutSeconds: Double) throws(A0Error)
    -> HTTPResponse
  {
    var arguments = [
      // -q first: no ~/.curlrc, whoever's home that is.
      "curl", "-q", "--silent", "--show-error", "--proto", "=https", "--max-time",
      String(Int(max(1, timeoutSeconds))),
      "--max-filesize", String(Self.bodyLimit), "--write-out", "\n%{http_code}",
    ]
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
      arguments += ["--header", "\(name): \(value)"]
    }
    arguments += ["--", url]
    let result = try runner.run(CommandLineSpec(arguments, timeoutSeconds: timeoutSeconds + 5))
    guard result.succeeded, let newline = result.stdout.lastIndex(of: 0x0A),
      let status = Int(String(decoding: result.stdout[(newline + 1)...], as: UTF8.self))
    else {
      throw A0Error(.upstreamUnreachable, "cannot reach \(url)", why: result.tail(lines: 3))
    }
    return HTTPResponse(status: status, body: Array(result.stdout[..<newline]))
  }
}
