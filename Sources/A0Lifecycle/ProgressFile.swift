import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

/// `.billy/progress.jsonl`: the steps of the last command that held the
/// lock, so `--follow` in another process (without the lock) shows what the
/// terminal shows. Its first line names the command (an id of its own, its
/// pid and the process's start, so a reused pid is not taken for it) and
/// carries how the command before it ended, for a follower that had not
/// read that yet; then one line per event, with its time; the last, the
/// command's end and exit code. Not made durable: after a crash the
/// journal and recovery say what happened.
public final class ProgressFile {
  let path: String
  let command: String
  let clock: any Clock
  private var descriptor: Int32 = -1

  /// Starts the file of `command`, replacing the last command's in one step.
  public init(path: String, command: String, clock: any Clock) {
    self.path = path
    self.command = command
    self.clock = clock
    let pid = getpid()
    var header: [String: JSONValue] = [
      "command": .string(command), "pid": .int(Int64(pid)), "at": .string(clock.now().iso8601),
      "id": .string("\(pid)-\(monotonicMilliseconds())-\(UInt32.random(in: 0...UInt32.max))"),
    ]
    header["process_start"] = ProcessGroups.startTicks(of: pid).map { .int(Int64($0)) }
    if let before = ProgressLog.read(path), let ended = before.finished {
      header["previous"] = [
        "id": .string(before.id), "exit_code": .int(Int64(ended.exitCode)),
        "message": .optional(ended.message),
      ]
    }
    // A follower sees the old command's file or this one's, never a mix.
    guard
      (try? FileIO.writeAtomically(path, JSONValue.object(header).canonicalBytes + [10], durable: false))
        != nil
    else { return }
    descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  public func record(_ event: ProgressEvent) {
    guard case .object(var line) = event.json else { return }
    line["at"] = .string(clock.now().iso8601)
    append(.object(line))
  }

  /// The command's end.
  public func finish(exitCode: Int32, message: String?) {
    guard descriptor >= 0 else { return }
    append(
      [
        "event": "finished", "exit_code": .int(Int64(exitCode)), "message": .optional(message),
        "at": .string(clock.now().iso8601),
      ])
    close(descriptor)
    descriptor = -1
  }

  private func append(_ line: JSONValue) {
    guard descriptor >= 0 else { return }
    try? FileIO.writeAll(descriptor: descriptor, line.canonicalBytes + [UInt8(ascii: "\n")], path: path)
  }
}

/// The progress file as a follower reads it.
public struct ProgressLog: Sendable {
  public typealias Ending = (exitCode: Int32, message: String?)

  /// The command's own id: one a0 process may run several (`a0 mcp`).
  public var id: String
  public var command: String
  public var pid: Int32
  public var processStart: UInt64?
  public var events: [(event: ProgressEvent, at: Timestamp)] = []
  /// The command's exit code and error, once it has ended.
  public var finished: Ending?
  /// How the command before it ended: its id, exit code and error.
  public var previous: (id: String, ending: Ending)?

  public static func read(_ path: String) -> ProgressLog? {
    guard let bytes = try? FileIO.read(path) else { return nil }
    let lines = bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONValue.parse(Array($0)) }
    guard let header = lines.first, let id = header["id"]?.stringValue,
      let command = header["command"]?.stringValue, let pid = header["pid"]?.intValue
    else { return nil }
    var log = ProgressLog(
      id: id, command: command, pid: Int32(truncatingIfNeeded: pid),
      processStart: header["process_start"]?.intValue.map { UInt64(max(0, $0)) })
    if let previous = header["previous"], let previousID = previous["id"]?.stringValue {
      log.previous = (
        previousID,
        (Int32(truncatingIfNeeded: previous["exit_code"]?.intValue ?? 1), previous["message"]?.stringValue)
      )
    }
    for line in lines.dropFirst() {
      let at =
        line["at"]?.stringValue.flatMap(Timestamp.init(iso8601:)) ?? Timestamp(millisecondsSinceEpoch: 0)
      if line["event"] == "finished" {
        log.finished = (
          Int32(truncatingIfNeeded: line["exit_code"]?.intValue ?? 1), line["message"]?.stringValue
        )
      } else if let event = ProgressEvent(json: line) {
        log.events.append((event, at))
      }
    }
    return log
  }

  /// Whether the process that writes it still runs (and is the same process).
  public var writerRuns: Bool {
    guard let started = ProcessGroups.startTicks(of: pid) else { return false }
    return processStart.map { $0 == started } ?? true
  }
}
