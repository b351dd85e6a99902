import A0Core
import Crypto

/// SHA-256 as lowercase hex.
public enum Digest {
  private static let hexDigits = Array("0123456789abcdef".utf8)

  public static func sha256Hex(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { buffer in hex(SHA256.hash(data: buffer)) }
  }

  /// SHA-256 of two byte runs as if they were one, without joining them.
  public static let sha256Split: SplitSHA256 = { first, second in
    var hasher = SHA256()
    hasher.update(bufferPointer: first)
    hasher.update(bufferPointer: second)
    return hasher.finalize().withUnsafeBytes { Digest256(bytes: $0) }
  }

  public static func hex(_ digest: some Sequence<UInt8>) -> String {
    var output = [UInt8]()
    output.reserveCapacity(64)
    for byte in digest {
      output.append(hexDigits[Int(byte >> 4)])
      output.append(hexDigits[Int(byte & 0x0F)])
    }
    return String(decoding: output, as: UTF8.self)
  }
}
