import A0Core

#if canImport(Glibc)
  import Glibc
#endif

/// A key file's name and bytes, read once: a private key, or a public key
/// whose private half is in ssh-agent (its name ends in `.pub`).
public struct SigningKey: Sendable {
  public var name: String
  public var bytes: [UInt8]

  public init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
  }
}

/// What a verified signature proves.
public struct SignerEvidence: Equatable, Sendable {
  public var principal: String
  public var fingerprint: String
}

/// `ssh-keygen -Y` signing and verification, namespace `a0`, modelled as
/// argument arrays.
public struct SSHSignatures: Sendable {
  public static let namespace = "a0"
  let runner: any CommandRunning

  public init(runner: any CommandRunning = ProcessRunner()) { self.runner = runner }

  /// Signs `payload` with a private key (or a public key whose private half
  /// is in ssh-agent), from a copy in a0's own temporary directory.
  /// Returns the armored signature.
  public func sign(_ payload: String, key: SigningKey) throws(A0Error) -> String {
    let directory = try temporaryDirectory()
    defer { try? FileIO.removeTree(directory) }
    let payloadPath = directory + "/payload"
    let keyPath = directory + (key.name.hasSuffix(".pub") ? "/key.pub" : "/key")
    try FileIO.writeAtomically(payloadPath, Array(payload.utf8), mode: 0o600)
    try FileIO.writeAtomically(keyPath, key.bytes, mode: 0o600)
    let result = try runner.run(
      CommandLineSpec(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", keyPath, "-n", Self.namespace, "--", payloadPath],
        timeoutSeconds: 30))
    guard result.succeeded, let signature = try FileIO.read(payloadPath + ".sig") else {
      throw A0Error(
        .authorityDenied, "cannot sign with \(key.name)", why: result.tail(lines: 3),
        next: "Use an unencrypted key file, or load the key into ssh-agent and pass its .pub file",
        authorityRequired: .human)
    }
    return String(decoding: signature, as: UTF8.self)
  }

  /// Verifies `signature` over `payload` against `allowedSigners`. Returns
  /// nil with the reason when it does not verify.
  public func verify(_ payload: String, signature: String, allowedSigners: String) throws(A0Error)
    -> Result<SignerEvidence, VerificationFailure>
  {
    guard FileIO.exists(allowedSigners) else {
      throw A0Error(
        .badInput, "the allowed signers file \(allowedSigners) does not exist",
        next: "Create it: one line per human, `alice@example namespaces=\"a0\" ssh-ed25519 AAAA…`")
    }
    let directory = try temporaryDirectory()
    defer { try? FileIO.removeTree(directory) }
    let signaturePath = directory + "/payload.sig"
    try FileIO.writeAtomically(signaturePath, Array(signature.utf8), mode: 0o600)
    let find = try runner.run(
      CommandLineSpec(
        ["ssh-keygen", "-Y", "find-principals", "-s", signaturePath, "-f", allowedSigners], timeoutSeconds: 30
      ))
    let principals = find.stdoutText.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    guard find.succeeded, let principal = principals.first else {
      return .failure(VerificationFailure(reason: "the signing key is not in \(allowedSigners)"))
    }
    let verify = try runner.run(
      CommandLineSpec(
        [
          "ssh-keygen", "-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", Self.namespace, "-s",
          signaturePath,
        ], timeoutSeconds: 30, standardInput: Array(payload.utf8)))
    guard verify.succeeded else {
      return .failure(
        VerificationFailure(reason: "the signature does not match what this command asks to sign"))
    }
    let output = verify.stdoutText + verify.stderrText
    let fingerprint =
      output.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("SHA256:") }.map(
        String.init)
      ?? "unknown"
    return .success(SignerEvidence(principal: principal, fingerprint: fingerprint))
  }

  public struct VerificationFailure: Error, Equatable, Sendable {
    public var reason: String
  }

  private func temporaryDirectory() throws(A0Error) -> String {
    var template = Array("/tmp/a0-sig-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } })
    else {
      throw A0Error(.operationFailed, "cannot create a temporary directory", why: FileIO.errnoText())
    }
    return String(cString: made)
  }
}
