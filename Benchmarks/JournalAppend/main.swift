// Appends COUNT events to a journal through a0's own append path (canonical
// line, SHA-256 chain, one O_APPEND write and an fsync each) and prints the
// seconds it took. Benchmarks/run compares it with a plain write+fsync loop.
//   a0-journal-bench JOURNAL COUNT
import A0Core
import A0System

#if canImport(Glibc)
  import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else {
  print("usage: a0-journal-bench JOURNAL COUNT")
  exit(64)
}
let journal = Journal(path: arguments[1])
let started = monotonicMilliseconds()
do {
  for index in 1...count {
    try journal.append(
      eventType: "benchmark", actor: "system", details: ["n": .int(index), "notes": "benchmark event"],
      at: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000))
  }
} catch {
  print("a0-journal-bench: \(error.message)")
  exit(1)
}
print(Double(monotonicMilliseconds() - started) / 1000)
