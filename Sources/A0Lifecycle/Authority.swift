import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// How the caller offered to prove it is a human for this command.
public struct ProofOffer: Sendable {
  /// `--key FILE`, read: a0 signs the payload itself.
  public var key: SigningKey?
  /// The text of `--signature FILE`, a signature made elsewhere.
  public var signature: String?

  /// The largest key or signature file a0 reads (either is a few KiB at most).
  public static let fileLimit = 64 * 1024

  public init(key: SigningKey? = nil, signature: String? = nil) {
    self.key = key
    self.signature = signature
  }

  /// Reads what the caller named, before the home's lock is taken and
  /// before anything runs: each must be a regular file of at most
  /// `fileLimit` bytes, so that neither a FIFO nor a device, nor a file
  /// swapped for one later, can stall a0 while it holds the lock (exit 65
  /// at once instead). ssh-keygen then signs with a0's private copy.
  public static func read(keyFile: String?, signatureFile: String?) throws(A0Error) -> ProofOffer {
    let key = try keyFile.map { file throws(A0Error) in
      SigningKey(name: file, bytes: try FileIO.readRegularFile(file, limit: fileLimit))
    }
    let signature = try signatureFile.map { file throws(A0Error) in
      String(decoding: try FileIO.readRegularFile(file, limit: fileLimit), as: UTF8.self)
    }
    return ProofOffer(key: key, signature: signature)
  }

  public var isPresent: Bool { key != nil || signature != nil }
}

/// Who the caller turned out to be.
public enum ProofOutcome: Sendable, Equatable {
  case agent
  case human(identity: String, evidence: [String: JSONValue])
  /// A signature was offered and did not verify: an unauthorized attempt.
  case rejected(reason: String)
}

/// How a caller proves it is a human for one command (DESIGN.md §5).
public struct HumanProof {
  public let config: Config
  public let paths: HomePaths
  public let terminal: any Terminal
  public let isJSON: Bool
  public let offer: ProofOffer
  public let identity: () -> String
  public let signatures: SSHSignatures

  public init(
    config: Config, paths: HomePaths, terminal: any Terminal, isJSON: Bool, offer: ProofOffer = ProofOffer(),
    identity: @escaping () -> String, signatures: SSHSignatures
  ) {
    self.config = config
    self.paths = paths
    self.terminal = terminal
    self.isJSON = isJSON
    self.offer = offer
    self.identity = identity
    self.signatures = signatures
  }

  /// Whether a tty prompt may be shown: `tty` mode, both ends terminals, no `--json`.
  public var canPrompt: Bool { config.humans.proof == .tty && terminal.isInteractive && !isJSON }

  public var allowedSignersPath: String { paths.allowedSigners(config) }

  /// Refuses signing options in `tty` mode, where they would prove nothing.
  public func checkOfferFitsMode() throws(A0Error) {
    if offer.isPresent && config.humans.proof != .sshSignature {
      throw A0Error(
        .badInput, "--key and --signature apply only when humans.proof = \"ssh-signature\"",
        why: "this home uses humans.proof = \"tty\"",
        next: "Run the command at a terminal without them, or switch the home to ssh-signature mode")
    }
  }

  /// Resolves the caller. In `tty` mode a human types `word` back (a guard
  /// against mistakes: a program can fake a terminal). In `ssh-signature`
  /// mode the caller is a human only with a signature over `payload` that
  /// verifies against `humans.allowed_signers`.
  public func resolve(action: String, word: String, payload: String) throws(A0Error) -> ProofOutcome {
    switch config.humans.proof {
    case .tty:
      guard canPrompt else { return .agent }
      let answer = terminal.ask("\(action)\nType \(word) to confirm you are a human operator: ")
      guard answer?.trimmingWhitespace == word else {
        throw A0Error(
          .authorityDenied, "not confirmed", why: "the text typed was not \(word)",
          next: "Run the command again and type \(word) exactly", authorityRequired: .human)
      }
      let who = identity()
      return .human(identity: who, evidence: ["mode": "tty", "login": .string(who)])
    case .sshSignature:
      let signature: String
      if let offered = offer.signature {
        signature = offered
      } else if let key = offer.key {
        signature = try signatures.sign(payload, key: key)
      } else {
        return .agent
      }
      switch try signatures.verify(payload, signature: signature, allowedSigners: allowedSignersPath) {
      case .success(let evidence):
        return .human(
          identity: evidence.principal,
          evidence: [
            "mode": "ssh-signature", "principal": .string(evidence.principal),
            "fingerprint": .string(evidence.fingerprint), "signature": .string(signature),
          ])
      case .failure(let failure):
        return .rejected(reason: failure.reason)
      }
    }
  }
}

extension Machine {
  /// The caller for this home's agent at its recorded level.
  public var agentCaller: Caller { .agent(name: config.agent.name, level: state.authorityLevel) }

  /// The authority gate. An agent calling a human-only command, or any
  /// signature that does not verify, is an unauthorized attempt: journaled,
  /// and executor authority is revoked.
  @discardableResult
  public func authorize(_ outcome: ProofOutcome, needs required: RequiredAuthority, command: String)
    throws(A0Error)
    -> Caller
  {
    switch outcome {
    case .human(let identity, let evidence):
      proofEvidence = evidence
      return .human(identity: identity)
    case .agent:
      try authorize(agentCaller, needs: required, command: command)
      return agentCaller
    case .rejected(let reason):
      try recordUnauthorized(agentCaller, command: command, required: required, why: reason)
      throw A0Error(
        .authorityDenied, "the signature offered for `a0 \(command)` was refused", why: reason,
        next: "Sign exactly the payload `--print-payload` shows, with a key listed in humans.allowed_signers",
        authorityRequired: .human)
    }
  }

  public func authorize(_ caller: Caller, needs required: RequiredAuthority, command: String) throws(A0Error)
  {
    guard !required.isSatisfied(by: caller) else { return }
    let wasExecutor = state.authorityLevel == .executor
    if required == .human {
      try recordUnauthorized(caller, command: command, required: required, why: "no human proof")
    } else {
      try record(
        eventType: "authority_denied", actor: caller.actor,
        details: [
          "command": .string(command), "required": .string(required.rawValue),
          "authority_level": .string(state.authorityLevel.rawValue),
        ])
    }
    let proofHint =
      config.humans.proof == .tty
      ? "A human runs it at a terminal (stdin and stdout a tty, without --json) and types the word it asks for"
      : "A human runs it with --key FILE or --signature FILE (humans.proof = ssh-signature)"
    throw A0Error(
      .authorityDenied, "`a0 \(command)` needs \(required.rawValue) authority",
      why: "the caller is \(caller.actor) at \(wasExecutor ? "executor" : state.authorityLevel.rawValue)"
        + (required == .human && wasExecutor ? "; executor authority has been revoked" : ""),
      next: required == .human ? proofHint : "A human can grant it with `a0 grant executor --reason TEXT`",
      authorityRequired: required)
  }

  private func recordUnauthorized(_ caller: Caller, command: String, required: RequiredAuthority, why: String)
    throws(A0Error)
  {
    let revoke = state.authorityLevel == .executor
    let details: [String: JSONValue] = [
      "command": .string(command), "required": .string(required.rawValue),
      "authority_level": .string(state.authorityLevel.rawValue),
      "reason_code": .string(ReasonCode.unauthorizedAttempt.rawValue), "why": .string(why),
      "authority_revoked": .bool(revoke),
    ]
    if revoke {
      try updateState(
        eventType: ReasonCode.unauthorizedAttempt.rawValue, actor: caller.actor, details: details
      ) {
        $0.authorityLevel = .observer
      }
    } else {
      try record(eventType: ReasonCode.unauthorizedAttempt.rawValue, actor: caller.actor, details: details)
    }
  }
}
