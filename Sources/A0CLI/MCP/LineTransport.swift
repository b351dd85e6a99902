import A0Core
import A0System
import Foundation
import Logging
import MCP

#if canImport(Glibc)
  import Glibc
#endif

/// MCP's stdio transport for `a0 mcp`: one JSON-RPC message per line on
/// stdin and stdout. stdin is read on a thread of its own (never one the
/// server's tasks need), each byte scanned once, and a message longer than
/// `maximumMessageBytes` ends the connection with a diagnostic on stderr.
actor LineTransport: Transport {
  static let maximumMessageBytes = 4 << 20

  nonisolated let logger = Logger(label: "a0.mcp", factory: { _ in SwiftLogNoOpLogHandler() })
  private let messages: AsyncThrowingStream<Data, Swift.Error>
  private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
  private var started = false

  init() {
    (messages, continuation) = AsyncThrowingStream.makeStream()
  }

  func connect() async throws {
    guard !started else { return }
    started = true
    let continuation = continuation
    let reader = Thread {
      var lines = MessageLines(limit: Self.maximumMessageBytes)
      var buffer = [UInt8](repeating: 0, count: 64 * 1024)
      while true {
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
          guard let base = raw.baseAddress else { return 0 }
          return read(STDIN_FILENO, base, raw.count)
        }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        do {
          for message in try lines.feed(buffer[0..<count]) { continuation.yield(Data(message)) }
        } catch {
          FileHandleOutput.standardError.write(
            "a0 mcp: a message longer than \(Self.maximumMessageBytes) bytes; closing the connection\n")
          break
        }
      }
      continuation.finish()
    }
    reader.start()
  }

  func disconnect() async {
    continuation.finish()
  }

  func send(_ data: Data) async throws {
    var bytes = [UInt8](data)
    bytes.append(UInt8(ascii: "\n"))
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return write(STDOUT_FILENO, base + offset, raw.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
      }
      offset += written
    }
  }

  func receive() -> AsyncThrowingStream<Data, Swift.Error> { messages }
}
