import A0Core
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// What the end of the journal says, read without reading the whole file.
public struct JournalTail: Sendable {
  /// The last complete event; nil for an empty journal.
  public var lastEvent: AuditEvent?
  /// The last event that carried `details.state_after`.
  public var lastStateEvent: AuditEvent?
  /// Bytes after the last newline: a write cut off by a crash.
  public var tornByteCount: Int
  /// The last complete line when it does not verify (damage other than a torn write).
  public var damagedLastLine: (line: [UInt8], error: JournalLineError)?
}

/// The hash-chained, append-only audit journal (DESIGN.md §4).
public final class Journal {
  public let path: String
  /// seq and hash of the last event, known after `readTail()` or an append.
  public private(set) var head: (seq: Int64, hash: String)?

  public init(path: String) { self.path = path }

  /// Reads backwards from the end until the last event and the last event
  /// carrying a state are found, so hot commands never read the whole file.
  public func readTail() throws(A0Error) -> JournalTail {
    var tail = JournalTail(lastEvent: nil, lastStateEvent: nil, tornByteCount: 0, damagedLastLine: nil)
    var isFirst = true
    try forEachLineBackwards { line, tornCount in
      tail.tornByteCount = tornCount
      if isFirst {
        isFirst = false
        do throws(JournalLineError) {
          let event = try AuditEvent.parse(line: line[...], sha256: Digest.sha256Hex)
          tail.lastEvent = event
          if event.stateAfter != nil {
            tail.lastStateEvent = event
            return false
          }
          return true
        } catch {
          tail.damagedLastLine = (line, error)
          return false
        }
      }
      guard line.containsSubsequence(Self.stateAfterMarker) else { return true }
      if let event = try? AuditEvent.parse(line: line[...], sha256: Digest.sha256Hex), event.stateAfter != nil
      {
        tail.lastStateEvent = event
        return false
      }
      return true
    }
    if let last = tail.lastEvent {
      head = (last.seq, last.hash)
    } else if tail.damagedLastLine == nil {
      head = nil
    }
    return tail
  }

  private static let stateAfterMarker = Array("\"state_after\":".utf8)

  /// The newest `limit` events, oldest first (lines that do not verify are skipped
  /// here; `audit verify` names them).
  public func lastEvents(limit: Int) throws(A0Error) -> [AuditEvent] {
    var events: [AuditEvent] = []
    guard limit > 0 else { return events }
    try forEachLineBackwards { line, _ in
      if let event = try? AuditEvent.parse(line: line[...], sha256: Digest.sha256Hex) { events.append(event) }
      return events.count < limit
    }
    return events.reversed()
  }

  /// Every verifiable event with `seq >= first`, oldest first, read from
  /// the end (the recent past is what approvals and grants look at).
  public func events(from first: Int64) throws(A0Error) -> [AuditEvent] {
    try events(backTo: { $0.seq <= first }).filter { $0.seq >= first }
  }

  /// The verifiable events from the newest back to the first that `isFirst`
  /// accepts (or the journal's start), oldest first.
  public func events(backTo isFirst: (AuditEvent) -> Bool) throws(A0Error) -> [AuditEvent] {
    var events: [AuditEvent] = []
    try forEachLineBackwards { line, _ in
      guard let event = try? AuditEvent.parse(line: line[...], sha256: Digest.sha256Hex) else { return true }
      events.append(event)
      return !isFirst(event)
    }
    return events.reversed()
  }

  /// Every verifiable event of one of `types`, oldest first. Only the lines
  /// naming such a type are parsed, so reading a long journal stays cheap.
  public func events(ofTypes types: Set<String>) throws(A0Error) -> [AuditEvent] {
    let markers = types.map { Array("\"event_type\":\"\($0)\"".utf8) }
    var events: [AuditEvent] = []
    try forEachLineBackwards { line, _ in
      guard markers.contains(where: { line.containsSubsequence($0) }),
        let event = try? AuditEvent.parse(line: line[...], sha256: Digest.sha256Hex),
        types.contains(event.eventType)
      else { return true }
      events.append(event)
      return true
    }
    return events.reversed()
  }

  /// Calls `body` with each complete line from the last to the first, until
  /// it returns false. `tornCount` is the number of bytes after the last newline.
  private func forEachLineBackwards(_ body: ([UInt8], Int) throws(A0Error) -> Bool) throws(A0Error) {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard descriptor >= 0 else {
      if errno == ENOENT { return }
      throw A0Error(.operationFailed, "cannot open the journal \(path)", why: FileIO.errnoText())
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      throw A0Error(.operationFailed, "cannot stat the journal", why: FileIO.errnoText())
    }
    var end = Int(info.st_size)
    let chunkSize = 64 * 1024
    var carry: [UInt8] = []  // the start of a line whose beginning is in an earlier chunk
    var tornCount: Int?
    while end > 0 {
      let start = max(0, end - chunkSize)
      var chunk = [UInt8](repeating: 0, count: end - start)
      let got = chunk.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return pread(descriptor, base, raw.count, off_t(start))
      }
      guard got == chunk.count else {
        throw A0Error(.operationFailed, "cannot read the journal", why: FileIO.errnoText())
      }
      chunk.append(contentsOf: carry)
      var lineEnd = chunk.count
      var index = chunk.count - 1
      while index >= 0 {
        if chunk[index] == UInt8(ascii: "\n") {
          if tornCount == nil {
            tornCount = chunk.count - index - 1
          } else if !(try body(Array(chunk[(index + 1)..<lineEnd]), tornCount ?? 0)) {
            return
          }
          lineEnd = index
        }
        index -= 1
      }
      carry = Array(chunk[0..<lineEnd])
      end = start
    }
    if tornCount == nil {
      tornCount = carry.count
    } else if !carry.isEmpty {
      _ = try body(carry, tornCount ?? 0)
    }
  }

  /// Appends one event: one `write(2)` of the whole line with `O_APPEND`,
  /// then `fsync`. A short write (disk full) is cut back off, so the
  /// journal never keeps a partial line from a0 itself, and the caller
  /// stops before touching state.json.
  @discardableResult
  public func append(eventType: String, actor: String, details: [String: JSONValue], at time: Timestamp)
    throws(A0Error) -> AuditEvent
  {
    if head == nil { _ = try readTail() }
    let previous = head ?? (0, AuditEvent.genesisHash)
    var event = AuditEvent(
      seq: previous.seq + 1, timestamp: time, eventType: eventType, actor: actor, details: details,
      prevHash: previous.hash)
    event.hash = Digest.sha256Hex(event.hashInput)
    let line = event.line
    let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open the journal for append", why: FileIO.errnoText())
    }
    defer { close(descriptor) }
    var info = stat()
    let sizeBefore = fstat(descriptor, &info) == 0 ? info.st_size : -1
    let written = line.withUnsafeBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      return write(descriptor, base, raw.count)
    }
    if written != line.count {
      let reason = written < 0 ? FileIO.errnoText() : "only \(written) of \(line.count) bytes were written"
      if sizeBefore >= 0 { _ = ftruncate(descriptor, sizeBefore) }
      _ = fsync(descriptor)
      throw A0Error(
        .operationFailed, "cannot write to the journal", why: reason,
        next: "Free disk space in \(FileIO.parent(of: path)) and run the command again; nothing was changed")
    }
    try FileIO.fsyncDescriptor(descriptor, path: path)
    head = (event.seq, event.hash)
    return event
  }

  /// Cuts a torn last line (a crash in the middle of a write) off the journal.
  /// Returns the bytes removed.
  public func truncateTornTail(byteCount: Int) throws(A0Error) -> [UInt8] {
    let descriptor = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open the journal for repair", why: FileIO.errnoText())
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw A0Error(.operationFailed, "cannot stat the journal") }
    let newSize = Int(info.st_size) - byteCount
    var removed = [UInt8](repeating: 0, count: byteCount)
    _ = removed.withUnsafeMutableBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      return pread(descriptor, base, raw.count, off_t(newSize))
    }
    guard ftruncate(descriptor, off_t(newSize)) == 0 else {
      throw A0Error(.operationFailed, "cannot truncate the journal", why: FileIO.errnoText())
    }
    try FileIO.fsyncDescriptor(descriptor, path: path)
    head = nil
    return removed
  }

  /// Walks the whole chain.
  public func verify() throws(A0Error) -> JournalVerification {
    let bytes = try FileIO.read(path, followLinks: false) ?? []
    return Self.verifyChain(bytes)
  }

  /// Lines are checked in parallel, one run of whole lines per core; only
  /// the linking, which is a comparison per line, is sequential.
  public static func verifyChain(_ bytes: [UInt8]) -> JournalVerification {
    let cores = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 16))
    let runs = bytes.count < 1 << 20 ? 1 : cores
    var cuts = [0]
    for index in 1..<max(runs, 1) {
      var cut = max(bytes.count * index / runs, cuts[cuts.count - 1])
      while cut < bytes.count && bytes[cut] != UInt8(ascii: "\n") { cut += 1 }
      cuts.append(min(cut + 1, bytes.count))
    }
    cuts.append(bytes.count)
    let bounds = cuts
    let results = Mutex<[(lines: [CheckedJournalLine], torn: Bool)]>(
      Array(repeating: ([], false), count: bounds.count - 1))
    DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { run in
      let checked = bytes.withUnsafeBufferPointer { buffer in
        AuditEvent.checkLines(
          UnsafeBufferPointer(rebasing: buffer[bounds[run]..<bounds[run + 1]]), sha256: Digest.sha256Split)
      }
      results.withLock { $0[run] = checked }
    }
    let checked = results.withLock { $0 }
    return AuditEvent.link(checked.flatMap(\.lines), torn: checked.contains { $0.torn })
  }
}

extension Array where Element == UInt8 {
  func containsSubsequence(_ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
    let first = needle[0]
    var index = 0
    let last = count - needle.count
    while index <= last {
      if self[index] == first && self[index..<(index + needle.count)].elementsEqual(needle) { return true }
      index += 1
    }
    return false
  }
}
