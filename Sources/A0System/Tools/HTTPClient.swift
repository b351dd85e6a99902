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

enum PlainHTTP {
  struct Target {
    var host: String
    var port: String
    var path: String
  }

  static func parse(_ url: String) -> Target? {
    var rest = Substring(url.dropFirst("http://".count))
    let pathStart = rest.firstIndex(of: "/") ?? rest.endIndex
    let authority = rest[..<pathStart]
    rest = rest[pathStart...]
    guard !authority.isEmpty, !authority.contains("@") else { return nil }
    var host = String(authority)
    var port = "80"
    if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
      host = String(authority[authority.index(after: authority.startIndex)..<close])
      let after = authority[authority.index(after: close)...]
      if after.hasPrefix(":") { port = String(after.dropFirst()) }
    } else if let colon = authority.lastIndex(of: ":") {
      host = String(authority[..<colon])
      port = String(authority[authority.index(after: colon)...])
    }
    guard UInt16(port) != nil, !host.isEmpty,
      rest.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\r" && $0 != "\n" })
    else { return nil }
    return Target(host: host, port: port, path: rest.isEmpty ? "/" : String(rest))
  }

  static func get(_ url: String, headers: [String: String], timeoutSeconds: Double) throws(A0Error)
    -> HTTPResponse
  {
    guard let target = parse(url) else { throw A0Error(.badInput, "\(url) is not a usable http:// URL") }
    let deadline = monotonicMilliseconds() + Int64(timeoutSeconds * 1000)
    func remaining() -> Int32 { Int32(max(0, min(deadline - monotonicMilliseconds(), Int64(Int32.max)))) }
    func unreachable(_ why: String) -> A0Error {
      A0Error(.upstreamUnreachable, "no answer from \(url)", why: why)
    }

    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(target.host, target.port, &hints, &list) == 0, let first = list else {
      throw unreachable("cannot resolve \(target.host)")
    }
    defer { freeaddrinfo(list) }
    let descriptor = socket(
      first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw unreachable(FileIO.errnoText()) }
    defer { close(descriptor) }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    if connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
      guard errno == EINPROGRESS else { throw unreachable(FileIO.errnoText()) }
      var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
      guard poll(&poller, 1, remaining()) == 1 else { throw unreachable("connect timed out") }
      var error: Int32 = 0
      var length = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
      guard error == 0 else { throw unreachable(FileIO.errnoText(error)) }
    }
    var request =
      "GET \(target.path) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\nConnection: close\r\n"
    request += "User-Agent: a0\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key })
    where !name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" })
      && !value.contains(where: { $0 == "\r" || $0 == "\n" })
    {
      request += "\(name): \(value)\r\n"
    }
    request += "\r\n"
    var pending = Array(request.utf8)[...]
    while !pending.isEmpty {
      var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
      guard poll(&poller, 1, remaining()) == 1 else { throw unreachable("sending timed out") }
      let sent = pending.withUnsafeBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return send(descriptor, base, raw.count, Int32(MSG_NOSIGNAL))
      }
      if sent < 0 {
        if errno == EAGAIN || errno == EINTR { continue }
        throw unreachable(FileIO.errnoText())
      }
      pending = pending.dropFirst(sent)
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, remaining())
      if ready == 0 { throw unreachable("no complete answer within \(Int(timeoutSeconds)) s") }
      let count = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return recv(descriptor, base, raw.count, 0)
      }
      if count < 0 {
        if errno == EAGAIN || errno == EINTR { continue }
        throw unreachable(FileIO.errnoText())
      }
      if count == 0 { break }
      response.append(contentsOf: buffer[0..<count])
      if response.count > HTTPClient.bodyLimit + 65536 {
        throw unreachable("the answer is larger than allowed")
      }
      if let complete = completeResponse(response) { return complete }
    }
    guard let parsed = parseResponse(response, requireComplete: false) else {
      throw unreachable("the answer is not HTTP, or ends before the length it declares")
    }
    return parsed
  }

  /// The response when Content-Length says it is all here (servers that
  /// keep the connection open despite `Connection: close`).
  static func completeResponse(_ bytes: [UInt8]) -> HTTPResponse? {
    parseResponse(bytes, requireComplete: true)
  }

  static func parseResponse(_ bytes: [UInt8], requireComplete: Bool) -> HTTPResponse? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard
      let headerEnd = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }
      )
    else { return nil }
    let head = String(decoding: bytes[..<headerEnd], as: UTF8.self)
    let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
    let statusParts = lines.first?.split(separator: " ") ?? []
    guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
      return nil
    }
    var contentLength: Int?
    var chunked = false
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingSpaces
      if name == "content-length" {
        // A length that is not a plain non-negative number is not HTTP.
        guard let length = Int(value), length >= 0, value.allSatisfy(\.isASCII) else { return nil }
        contentLength = length
      }
      if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
    }
    var body = Array(bytes[(headerEnd + 4)...])
    // A body shorter than its framing says (the connection closed early, or
    // the server lies about lengths) is no answer: only an unframed body is
    // read to the end of the connection.
    if chunked {
      guard let decoded = decodeChunked(body) else { return nil }
      body = decoded
    } else if let contentLength {
      guard body.count >= contentLength else { return nil }
      body = Array(body.prefix(contentLength))
    } else if requireComplete {
      return nil
    }
    return HTTPResponse(status: status, body: body)
  }

  /// nil until the terminating zero-length chunk has arrived, and for
  /// anything that is not chunked encoding (sizes are the server's word:
  /// negative or oversized ones are refused, never trusted for indexing).
  static func decodeChunked(_ bytes: [UInt8]) -> [UInt8]? {
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
      guard let lineEnd = bytes[index...].firstIndex(of: 13), lineEnd + 1 < bytes.count else { return nil }
      let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
      let digits = sizeText.trimmingSpaces
      guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit), let size = Int(digits, radix: 16),
        size <= bytes.count
      else { return nil }
      index = lineEnd + 2
      if size == 0 { return output }
      guard size <= bytes.count - index else { return nil }
      output.append(contentsOf: bytes[index..<(index + size)])
      index += size + 2
    }
    return nil
  }
}
