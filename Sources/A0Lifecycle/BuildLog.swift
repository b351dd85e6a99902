import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// `builds/<id>/build.log`: every command, its exit status, duration and output.
final class BuildLog {
  let path: String
  private var descriptor: Int32

  init(path: String) throws(A0Error) {
    self.path = path
    descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw A0Error(.operationFailed, "cannot create \(path)", why: FileIO.errnoText())
    }
  }

  deinit { close(descriptor) }

  func note(_ text: String) {
    try? FileIO.writeAll(descriptor: descriptor, Array((text + "\n").utf8), path: path)
  }

  func command(_ spec: CommandLineSpec, _ result: ProcessResult) {
    let outcome =
      result.interrupted
      ? "interrupted"
      : result.timedOut
        ? "timed out"
        : result.signal.map { "killed by signal \($0)" }
          ?? "exit \(result.status)"
    command(
      spec, outputs: [result.stdoutText, result.stderrText], outcome: outcome,
      durationMilliseconds: result.durationMilliseconds)
  }

  func command(_ spec: CommandLineSpec, outputs: [String], outcome: String, durationMilliseconds: Int64) {
    var text = "$ \(spec.display)\n"
    for output in outputs where !output.isEmpty { text += output + (output.hasSuffix("\n") ? "" : "\n") }
    text += "[\(outcome) after \(durationMilliseconds) ms]\n"
    try? FileIO.writeAll(descriptor: descriptor, Array(text.utf8), path: path)
  }

  func sync() { _ = fsync(descriptor) }
}

/// `builds/<id>/status.json`, rewritten atomically at each step, so that
/// `staging-status` in another process can follow a build without the lock.
struct StagingStatusFile {
  let path: String
  var document: [String: JSONValue]
  var steps: [JSONValue] = []
  var currentStart: Int64 = 0

  init(path: String, operationID: String, version: String, buildID: String, startedAt: Timestamp) {
    self.path = path
    document = [
      "operation_id": .string(operationID), "version": .string(version), "build_id": .string(buildID),
      "started_at": .string(startedAt.iso8601), "step": "initialize", "result": "running", "files_hashed": 0,
    ]
  }

  mutating func begin(_ step: String) {
    currentStart = monotonicMilliseconds()
    document["step"] = .string(step)
    write()
  }

  mutating func end(_ step: String, status: String) {
    steps.append(
      [
        "name": .string(step), "status": .string(status),
        "duration_ms": .int(monotonicMilliseconds() - currentStart),
      ])
    document["steps"] = .array(steps)
    write()
  }

  mutating func set(_ key: String, _ value: JSONValue) {
    document[key] = value
    // The result is kept with the artifact; steps in progress are only for watchers.
    write(durable: key == "result")
  }

  func write(durable: Bool = false) {
    try? FileIO.writeAtomically(path, Array(JSONValue.object(document).prettyString.utf8), durable: durable)
  }
}
