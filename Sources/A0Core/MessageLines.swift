/// Splits a byte stream into newline-delimited messages (MCP's stdio
/// framing), scanning each byte once, with a bound on a message's size: a
/// client that never sends a newline cannot grow the buffer without limit.
public struct MessageLines: Sendable {
  public enum Failure: Error, Equatable, Sendable {
    case tooLong(limit: Int)
  }

  public let limit: Int
  private var pending: [UInt8] = []

  public init(limit: Int) { self.limit = limit }

  /// The complete messages `bytes` finishes, in order; empty lines are
  /// skipped and a trailing `\r` dropped.
  public mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) -> [[UInt8]] {
    var messages: [[UInt8]] = []
    for byte in bytes {
      if byte == UInt8(ascii: "\n") {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        if !pending.isEmpty { messages.append(pending) }
        pending.removeAll(keepingCapacity: true)
      } else {
        guard pending.count < limit else { throw .tooLong(limit: limit) }
        pending.append(byte)
      }
    }
    return messages
  }

  /// Bytes of an unfinished message (what end of input would cut off).
  public var unfinished: Int { pending.count }
}
