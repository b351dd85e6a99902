import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// `http://` GET over a plain socket: health checks and loopback fixtures.
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
    let exchange = Exchange(url: url, deadline: monotonicMilliseconds() + Int64(timeoutSeconds * 1000))
    let descriptor = try exchange.connect(to: target)
    defer { close(descriptor) }
    try exchange.send(request(target, headers: headers), on: descriptor)
    return try exchange.receive(on: descriptor, timeoutSeconds: timeoutSeconds)
  }

  /// The request's bytes; a header whose name or value could end a line is left out.
  static func request(_ target: Target, headers: [String: String]) -> [UInt8] {
    var request =
      "GET \(target.path) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\nConnection: close\r\n"
    request += "User-Agent: a0\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key })
    where !name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" })
      && !value.contains(where: { $0 == "\r" || $0 == "\n" })
    {
      request += "\(name): \(value)\r\n"
    }
    return Array((request + "\r\n").utf8)
  }

  /// One request's connection, bounded by one deadline for every step.
  struct Exchange {
    let url: String
    let deadline: Int64

    func remaining() -> Int32 { Int32(max(0, min(deadline - monotonicMilliseconds(), Int64(Int32.max)))) }

    func unreachable(_ why: String) -> A0Error {
      A0Error(.upstreamUnreachable, "no answer from \(url)", why: why)
    }

    /// A non-blocking socket connected to the target's first address.
    func connect(to target: Target) throws(A0Error) -> Int32 {
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
      _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
      guard Glibc.connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else {
        return descriptor
      }
      var failure = errno == EINPROGRESS ? nil : FileIO.errnoText()
      var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
      if failure == nil && poll(&poller, 1, remaining()) != 1 { failure = "connect timed out" }
      var error: Int32 = 0
      var length = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
      if failure == nil && error != 0 { failure = FileIO.errnoText(error) }
      guard let failure else { return descriptor }
      close(descriptor)
      throw unreachable(failure)
    }

    func send(_ request: [UInt8], on descriptor: Int32) throws(A0Error) {
      var pending = request[...]
      while !pending.isEmpty {
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, remaining()) == 1 else { throw unreachable("sending timed out") }
        let sent = pending.withUnsafeBytes { raw -> Int in
          guard let base = raw.baseAddress else { return 0 }
          return Glibc.send(descriptor, base, raw.count, Int32(MSG_NOSIGNAL))
        }
        if sent < 0 {
          if errno == EAGAIN || errno == EINTR { continue }
          throw unreachable(FileIO.errnoText())
        }
        pending = pending.dropFirst(sent)
      }
    }

    /// Reads until the response is complete by its framing, or the server closes.
    func receive(on descriptor: Int32, timeoutSeconds: Double) throws(A0Error) -> HTTPResponse {
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
