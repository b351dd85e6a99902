/// sudo, modelled: a0 only ever reads its rules, never runs through it.
public enum Sudo {
  /// The rules that apply to `user` (`sudo -l -U`), never prompting.
  public static func listRules(for user: String, timeoutSeconds: Double = 30) -> CommandLineSpec {
    CommandLineSpec(["sudo", "-n", "-l", "-U", user], timeoutSeconds: timeoutSeconds)
  }
}
