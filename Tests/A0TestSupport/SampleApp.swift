import A0Core
import A0Lifecycle
import A0System
import Foundation

/// The embedded sample app (Examples/sample-app), published into a scratch
/// directory as a local upstream with a wheelhouse, and homes configured
/// for it — the same fixture the demo uses.
public enum SampleApp {
  public static var examples: String {
    var directory = FileIO.parent(of: #filePath)
    while directory != "/" && !FileManager.default.fileExists(atPath: directory + "/Package.swift") {
      directory = FileIO.parent(of: directory)
    }
    return directory + "/Examples/sample-app"
  }

  public struct Published {
    public let upstream: String
    public let wheelhouse: String
  }

  public static func publish(in directory: String) throws -> Published {
    let result = try ProcessRunner().run(
      CommandLineSpec(["python3", examples + "/make-upstream.py", directory], timeoutSeconds: 120))
    guard result.succeeded else { throw FixtureError(message: result.tail()) }
    return Published(
      upstream: directory + "/upstream/a0/sample-app.git", wheelhouse: directory + "/wheelhouse")
  }

  /// A home for the sample app: the sample's paths, checks and service.
  public static func home(in directory: String, port: UInt16? = nil, installer: String = "pip") throws
    -> (HomePaths, Published)
  {
    let published = try publish(in: directory)
    return (try home(in: directory, published: published, port: port, installer: installer), published)
  }

  /// A home for the sample app published elsewhere (several homes may share one upstream).
  public static func home(
    in directory: String, published: Published, port: UInt16? = nil, installer: String = "pip"
  )
    throws -> HomePaths
  {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let paths = try TestHome.initialise(in: directory, upstream: published.upstream, name: "app")
    let servicePort = try port ?? SilentListener.freePort()
    let service = examples + "/sample-service"
    try TestHome.configure(
      paths,
      [
        "python.interpreter": "\"python3\"", "python.installer": "\"\(installer)\"",
        "python.wheelhouse": "\"\(published.wheelhouse)\"", "python.install_timeout_seconds": "120",
        "python.overrides": "[\"requirements2.txt\"]", "python.source_builds": "[\"a0-sample-plain\"]",
        "data.linked_paths": "[\"data/\", \".env\"]",
        "validation.required_files": "[\"app.py\", \"requirements.txt\", \"release.json\"]",
        "validation.import_modules": "[\"app\"]", "validation.import_timeout_seconds": "30",
        "validation.check_timeout_seconds": "30", "validation.config_files": "[\".env\"]",
        "service.start": "[\"{python}\", \"app.py\", \"--port\", \"{port}\", \"--host\", \"127.0.0.1\"]",
        "service.health_path": "\"/health\"",
        "service.restart": "[\"\(service)\", \"restart\", \"\(paths.root)\", \"\(servicePort)\"]",
        "service.stop": "[\"\(service)\", \"stop\", \"\(paths.root)\", \"\(servicePort)\"]",
        "service.running": "[\"\(service)\", \"status\", \"\(paths.root)\", \"\(servicePort)\"]",
        "service.health_url": "\"http://127.0.0.1:\(servicePort)/health\"",
        "service.health_version": "\"version\"",
        "service.health_timeout_seconds": "6", "service.health_interval_seconds": "1",
        "service.stable_seconds": "1", "service.restart_timeout_seconds": "20",
      ])
    return paths
  }

  /// Requests and approves `version` as a human would (through a pty).
  public static func approve(_ paths: HomePaths, _ version: String) throws {
    let request = try A0Binary.run(["request-upgrade", version, "--home", paths.root, "--json"])
    guard request.status == 0 else { throw FixtureError(message: "request: \(request.stdout)") }
    let approval = try A0Binary.runAtTerminal(
      ["approve", version, "--home", paths.root], typed: version + "\n")
    guard approval.status == 0 else { throw FixtureError(message: "approve: \(approval.stdout)") }
  }

  /// Stops the sample service a home may have started.
  public static func stopService(_ paths: HomePaths) {
    let pidFile = paths.root + "/.sample-app.pid"
    if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      kill(pid, SIGKILL)
    }
  }
}

extension SampleApp {
  /// Runs a0 as the executor agent (no terminal, --json).
  public static func agent(_ paths: HomePaths, _ arguments: [String]) throws -> A0Binary.Result {
    try A0Binary.run(arguments + ["--home", paths.root, "--json"])
  }

  /// A home in IDLE with executor authority and `version` approved.
  public static func approved(in directory: String, version: String = "v1.0.0", installer: String = "pip")
    throws -> (HomePaths, Published)
  {
    let (paths, published) = try home(in: directory, installer: installer)
    try TestHome.put(paths, state: .idle, authority: .executor)
    try approve(paths, version)
    return (paths, published)
  }

  /// A home with executor authority and `version` approved and staged (VALIDATING).
  public static func staged(in directory: String, version: String = "v1.0.0") throws -> (HomePaths, Published)
  {
    let (paths, published) = try approved(in: directory, version: version)
    let staging = try agent(paths, ["begin-staging", version])
    guard staging.status == 0 else { throw FixtureError(message: "staging: \(staging.stdout)") }
    return (paths, published)
  }

  /// Requests, approves and upgrades to `version` as the executor agent.
  public static func upgrade(_ paths: HomePaths, to version: String) throws -> A0Binary.Result {
    try approve(paths, version)
    return try agent(paths, ["upgrade", version])
  }

  public static func confirm(_ paths: HomePaths, _ version: String) throws {
    let result = try A0Binary.runAtTerminal(["confirm", "--home", paths.root], typed: version + "\n")
    guard result.status == 0 else { throw FixtureError(message: "confirm: \(result.stdout)") }
  }

  /// What production answers over HTTP, or nil.
  public static func servedVersion(_ paths: HomePaths) -> String? {
    let config = (try? ConfigLoader.load(path: paths.config))
    guard let url = config?.service.healthURL,
      let response = try? HTTPClient().get(url, headers: [:], timeoutSeconds: 2), response.status == 200,
      let json = try? JSONValue.parse(response.body)
    else { return nil }
    return json["version"]?.stringValue
  }

  public static func status(_ paths: HomePaths) throws -> JSONValue? {
    try A0Binary.run(["status", "--home", paths.root, "--json"]).json?["data"]
  }

  /// Processes whose command line mentions `needle`.
  public static func processes(matching needle: String) -> String {
    (try? ProcessRunner().run(CommandLineSpec(["pgrep", "-af", needle], timeoutSeconds: 5)).stdoutText) ?? ""
  }
}

extension SampleApp {
  /// Gives the agent executor authority, installs `version` through the
  /// whole lifecycle and has a human confirm it: a home with a production.
  public static func putInProduction(_ paths: HomePaths, _ version: String) throws {
    try TestHome.put(paths, state: .idle, authority: .executor)
    let result = try upgrade(paths, to: version)
    guard result.status == 0 else { throw FixtureError(message: "upgrade to \(version): \(result.stdout)") }
    try confirm(paths, version)
  }
}
