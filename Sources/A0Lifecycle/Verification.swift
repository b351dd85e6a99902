import A0Core
import A0System

/// `a0 verify`: production and every artifact against their manifests.
public enum Verification {
  public struct Finding: Sendable {
    public var subject: String
    public var ok: Bool
    public var detail: String
  }

  public static func run(_ machine: Machine, caller: Caller) throws(A0Error) -> [Finding] {
    var findings: [Finding] = []
    let link = machine.paths.productionLink(machine.config)
    if let production = ProductionInfo.read(machine.paths) {
      let expected = ".billy/builds/\(production.buildID)/app"
      if FileIO.readLink(link) != expected {
        findings.append(
          Finding(
            subject: "production", ok: false,
            detail: "the link points at \(FileIO.readLink(link) ?? "nothing"), not \(expected)"))
      } else {
        do {
          _ = try ProductionVerifier.verifyOrThrow(machine.paths, config: machine.config)
          findings.append(
            Finding(subject: "production", ok: true, detail: "\(production.version) matches its manifest"))
        } catch {
          findings.append(Finding(subject: "production", ok: false, detail: error.message))
        }
      }
    } else if FileIO.readLink(link) != nil {
      findings.append(
        Finding(subject: "production", ok: false, detail: "a link exists but version.json does not"))
    }
    let (artifacts, problems) = try Artifacts.list(machine.paths)
    for artifact in artifacts {
      do {
        _ = try Artifacts.verify(artifact)
        findings.append(
          Finding(subject: "artifact \(artifact.version)", ok: true, detail: "matches its manifest"))
      } catch {
        findings.append(
          Finding(subject: "artifact \(artifact.version)", ok: false, detail: error.why ?? error.message))
      }
    }
    findings += problems.map { Finding(subject: "artifacts", ok: false, detail: $0) }
    let consistent = findings.allSatisfy(\.ok)
    let observed: ObservedState = consistent ? .consistent : .inconsistent
    if machine.lock != nil && machine.state.observedState != observed {
      try machine.updateState(
        eventType: "verification", actor: caller.actor,
        details: [
          "observed_state": .string(observed.rawValue),
          "failures": .array(findings.filter { !$0.ok }.map { .string("\($0.subject): \($0.detail)") }),
        ]
      ) { $0.observedState = observed }
    }
    return findings
  }
}
