/// Substitutes `{python}`, `{app}`, `{port}` and `{version}` in a command
/// array. Each argument stays one argument: nothing is ever split or
/// handed to a shell.
public enum CommandTemplate {
  public static func expand(_ template: [String], values: [String: String]) -> [String] {
    template.map { argument in
      var result = argument
      for (key, value) in values { result = result.replacingAll("{\(key)}", with: value) }
      return result
    }
  }
}
