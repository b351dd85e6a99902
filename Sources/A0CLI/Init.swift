import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct Init: Operation {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Create an a0 home: .billy/ with its configuration, state and journal.",
    discussion: """
      Anyone who may write the directory may run it. It refuses to touch an existing home (exit 2).
      The home appears at once or not at all: it is built beside .billy/ and renamed into place.

        $ a0 init --upstream https://github.com/agent0ai/agent-zero.git --home /srv/agent-zero
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    help: "The git URL of the app's upstream (https://, ssh://, file://, user@host:path or an absolute path)."
  )
  var upstream: String

  @Option(help: "The production link's name inside the home.")
  var name: String = "agent-zero"

  @Option(help: "Take over an existing install (a clean git checkout at a release tag, with .venv/).")
  var adopt: String?

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let root = HomePaths.absolutePath(
      global.home ?? context.environment["A0_HOME"] ?? FileIO.currentDirectory(),
      relativeTo: FileIO.currentDirectory())
    let adoptPath = adopt.map { HomePaths.absolutePath($0, relativeTo: FileIO.currentDirectory()) }
    // The tools the initialising user finds now are the tools a0 uses from now on.
    let tools = (context.environment["PATH"] ?? "").split(separator: ":").map(String.init).filter {
      $0.hasPrefix("/")
    }
    let children = tools.isEmpty ? ChildEnvironment() : ChildEnvironment(searchPath: tools)
    if let adoptPath {
      _ = try Adoption.inspect(
        path: adoptPath, runner: context.world.runner(tools: children),
        linkedPaths: Config.defaults(upstream: upstream, link: name).data.linkedPaths)
    }
    let interpreter = InterpreterChoice.pick(tools: children, runner: context.world.runner(tools: children))
    let result = try HomeInitializer.initialize(
      root: root, upstream: upstream, link: name, actor: "human:\(LoginIdentity.current())",
      clock: context.clock, toolsPath: tools.isEmpty ? nil : tools, interpreter: interpreter.interpreter)
    var adopted: Adoption.Result?
    if let adoptPath {
      do {
        let machine = try Machine.openForMutation(
          paths: result.paths, command: "a0 init --adopt", waitSeconds: 0, world: context.world)
        adopted = try Adoption.adopt(
          machine, path: adoptPath, caller: .human(identity: LoginIdentity.current()))
      } catch {
        // The home was made for this adoption only; without it, leave none.
        try? FileIO.removeTree(result.paths.billy)
        throw error
      }
    }
    return InitOutput(result: result, adopted: adopted, interpreterNote: interpreter.note)
  }
}

struct InitOutput: CommandOutput {
  let result: HomeInitializer.Result
  var adopted: Adoption.Result?
  var interpreterNote: String?

  var json: JSONValue {
    [
      "home": .string(result.paths.root), "config": .string(result.paths.config),
      "upstream": .string(result.config.upstream.url),
      "production_link": .string(result.config.production.link),
      "current_state": .string(result.state.currentState.rawValue),
      "adopted": adopted.map {
        [
          "version": .string($0.version), "build_id": .string($0.buildID),
          "moved_data": .array($0.movedData.map(JSONValue.string)),
        ]
      } ?? .null,
      "interpreter": .string(result.config.python.interpreter),
      "interpreter_note": .optional(interpreterNote),
    ]
  }

  var text: String {
    """
    Initialised an a0 home in \(result.paths.root)
      config:     \(result.paths.config)  (review it: service commands, health URL, data paths)
      upstream:   \(result.config.upstream.url)
      production: \(result.paths.root)/\(result.config.production.link) \(adopted.map { "-> \($0.version) (adopted; known-good; data moved: \($0.movedData.joined(separator: " ")))" } ?? "(no release yet)")
      state:      \(result.state.currentState.rawValue)
      python:     \(result.config.python.interpreter)\(interpreterNote.map { "\n    Note: " + $0 } ?? "")
    Next: `a0 check-updates`, then `a0 request-upgrade VERSION`.
    """
  }
}
