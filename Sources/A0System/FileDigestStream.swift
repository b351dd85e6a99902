import A0Core
import CA0SHA256

#if canImport(Glibc)
  import Glibc
#endif

/// SHA-256 of one file at a time, read into a buffer of its own and hashed
/// by the CPU's SHA instructions, block by block, so that a worker can hash
/// two files in step with `hashTogether` (two messages interleaved keep the
/// SHA unit busy where one leaves it waiting on each round's result). Used
/// only where `isAvailable`; elsewhere `TreeHasher.hashFile` hashes with
/// swift-crypto.
final class FileDigestStream {
  static let isAvailable = a0_sha256_hw_available() != 0
  /// Bytes read at a time: two streams of this fill half of a core's L2,
  /// so what a read copies in is still cached when it is hashed.
  static let chunk = 128 << 10
  private static let initialState: [UInt32] = [
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
  ]

  private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk + 64, alignment: 64)
  private let state = UnsafeMutablePointer<UInt32>.allocate(capacity: 8)
  /// The caller's number for the open file, while one is open.
  private(set) var sequence: Int?
  private var path = ""
  private var copyPath: String?
  private var descriptor: Int32 = -1
  private var output: Int32 = -1
  private var start = 0
  private var end = 0
  private var hashedBytes: UInt64 = 0
  private var remaining = Int.max
  private var atEnd = false

  init() {}

  deinit {
    close()
    buffer.deallocate()
    state.deallocate()
  }

  /// Whole 64-byte blocks read and not yet hashed.
  var pendingBlocks: Int { (end - start) / 64 }
  /// True once the file is read to its end and every whole block hashed:
  /// what is left is the final partial block, for `finish`.
  var isDrained: Bool { atEnd && pendingBlocks == 0 }

  /// The bytes of the open file read so far (all of it, once drained).
  var length: UInt64 { hashedBytes + UInt64(end - start) }

  /// Starts on the file at `path`; with `copyTo`, every byte read is also
  /// written to a new file there with the source's permission bits, and the
  /// read stops at the size the file had when it was opened, so the copy is
  /// exactly the bytes the digest covers.
  func open(_ sequence: Int, path: String, copyTo copy: String?) throws(A0Error) {
    close()
    self.path = path
    copyPath = copy
    start = 0
    end = 0
    hashedBytes = 0
    remaining = Int.max
    atEnd = false
    state.update(from: Self.initialState, count: 8)
    descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot open \(path)", why: FileIO.errnoText())
    }
    self.sequence = sequence
    if let copy { (output, remaining) = try TreeHasher.createCopy(of: descriptor, path: path, at: copy) }
  }

  /// Reads the next chunk after the partial block left over (called when no
  /// whole block is pending); a read of nothing marks the end.
  func refill() throws(A0Error) {
    guard let base = buffer.baseAddress else { return }
    let leftover = end - start
    if leftover > 0 && start > 0 { memmove(base, base + start, leftover) }
    start = 0
    end = leftover
    guard remaining > 0 else {
      atEnd = true
      return
    }
    var count: Int
    repeat {
      count = read(descriptor, base + leftover, min(Self.chunk, remaining))
    } while count < 0 && errno == EINTR
    guard count >= 0 else {
      throw A0Error(.operationFailed, "cannot read \(path)", why: FileIO.errnoText())
    }
    if count == 0 {
      atEnd = true
      return
    }
    remaining -= count
    if output >= 0, let copyPath {
      try FileIO.writeAll(
        descriptor: output, UnsafeRawBufferPointer(start: base + leftover, count: count), path: copyPath)
    }
    end += count
  }

  /// Hashes every pending block of this stream alone.
  func hashPending() {
    let blocks = pendingBlocks
    guard blocks > 0, let base = buffer.baseAddress else { return }
    a0_sha256_hw_blocks(state, (base + start).assumingMemoryBound(to: UInt8.self), blocks)
    consume(blocks)
  }

  /// Hashes as many pending blocks of two streams as both have, in step.
  static func hashTogether(_ first: FileDigestStream, _ second: FileDigestStream) {
    let blocks = min(first.pendingBlocks, second.pendingBlocks)
    guard blocks > 0, let firstBase = first.buffer.baseAddress, let secondBase = second.buffer.baseAddress
    else { return }
    a0_sha256_hw_blocks_x2(
      first.state, (firstBase + first.start).assumingMemoryBound(to: UInt8.self),
      second.state, (secondBase + second.start).assumingMemoryBound(to: UInt8.self), blocks)
    first.consume(blocks)
    second.consume(blocks)
  }

  private func consume(_ blocks: Int) {
    start += blocks * 64
    hashedBytes += UInt64(blocks * 64)
  }

  /// The digest of the whole file (FIPS 180-4 padding of the final partial
  /// block), as lowercase hex; closes the file.
  func finish() -> String {
    var last = [UInt8](repeating: 0, count: 128)
    let leftover = end - start
    for offset in 0..<leftover { last[offset] = buffer[start + offset] }
    last[leftover] = 0x80
    let blocks = leftover + 9 > 64 ? 2 : 1
    let bits = (hashedBytes + UInt64(leftover)) &* 8
    for byte in 0..<8 { last[blocks * 64 - 1 - byte] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(byte))) }
    last.withUnsafeBufferPointer { padded in
      if let base = padded.baseAddress { a0_sha256_hw_blocks(state, base, blocks) }
    }
    var digest: [UInt8] = []
    digest.reserveCapacity(32)
    for word in 0..<8 {
      for shift in stride(from: 24, through: 0, by: -8) {
        digest.append(UInt8(truncatingIfNeeded: state[word] >> shift))
      }
    }
    close()
    return Digest.hex(digest)
  }

  /// Closes the file (and its copy) without a digest.
  func close() {
    if output >= 0 {
      if descriptor >= 0 { TreeHasher.keepTimes(of: descriptor, on: output) }
      Glibc.close(output)
    }
    if descriptor >= 0 { Glibc.close(descriptor) }
    descriptor = -1
    output = -1
    sequence = nil
  }
}
