import A0Core
import A0System

/// The interpreter `a0 init` writes for Agent Zero, which needs Python 3.12
/// or newer (v1.x uses `type X = …` statements).
public enum InterpreterChoice {
  public static let candidates = ["python3.12", "python3.13", "python3.14"]

  /// The first candidate that runs, with a0's own child environment, and is
  /// new enough; otherwise `python3.12` and what to do about it. A version
  /// manager's shim that needs the caller's environment does not count:
  /// a0 never passes that environment on.
  public static func pick(tools: ChildEnvironment, runner: any CommandRunning) -> (
    interpreter: String, note: String?
  ) {
    for name in candidates where tools.find(name) != nil {
      let probe = Python.isAtLeast(name, major: 3, minor: 12)
      if let result = try? runner.run(probe), result.succeeded { return (name, nil) }
    }
    return (
      candidates[0],
      "no working Python 3.12 or newer on a0's tool path (Agent Zero v1.x needs it): install one "
        + "(`apt install python3.12`, or `uv python install 3.12`) and set [python] interpreter "
        + "to its absolute path, or add its directory to [tools] path"
    )
  }
}
