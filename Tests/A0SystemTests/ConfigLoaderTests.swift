import A0Core
import A0System
import Testing

@Suite("Configuration")
struct ConfigLoaderTests {
  @Test("what init writes reads back as the defaults")
  func roundTrip() throws {
    let config = Config.defaults(upstream: "https://github.com/agent0ai/agent-zero.git", link: "agent-zero")
    #expect(try ConfigLoader.parse(config.toml) == config)
    #expect(config.upstream.githubAPI == "https://api.github.com")
    #expect(Config.defaults(upstream: "/srv/upstream.git", link: "app").upstream.githubAPI == "")
  }

  @Test("strings with quotes and escapes round-trip")
  func escaping() throws {
    var config = Config.defaults(upstream: "/srv/a\"b\\c.git", link: "app")
    config.python.installArgs = ["--extra=\"x\"", "tab\there"]
    #expect(try ConfigLoader.parse(config.toml) == config)
  }

  @Test("keys newer than a home's file are off when it lacks them")
  func newKeysOff() throws {
    let config = try ConfigLoader.parse("[upstream]\nurl = \"/x\"\n")
    #expect(config.python.overrides.isEmpty)
    #expect(config.python.sourceBuilds.isEmpty)
    #expect(config.service.healthVersion.isEmpty)
  }

  static let bad: [(String, String)] = [
    ("[upstream]\nurl = \"/x\"\n[surprise]\n", "surprise"),
    ("[upstream]\nurl = \"/x\"\ncolour = 1\n", "upstream.colour"),
    ("[upstream]\nurl = 42\n", "upstream.url"),
    ("[production]\nlink = \"x\"\n", "upstream.url"),
    ("[upstream]\nurl = \"--upload-pack=evil\"\n", "upstream.url"),
    ("[upstream]\nurl = \"ext::sh -c evil\"\n", "upstream.url"),
    ("[upstream]\nurl = \"/x\"\n[production]\nlink = \"../etc\"\n", "production.link"),
    ("[upstream]\nurl = \"/x\"\n[python]\ninstaller = \"conda\"\n", "python.installer"),
    ("[upstream]\nurl = \"/x\"\n[service]\nrestart = \"systemctl restart app\"\n", "service.restart"),
    ("[upstream]\nurl = \"/x\"\n[service]\nrestart = []\n", "service.restart"),
    ("[upstream]\nurl = \"/x\"\ntimeout_seconds = -1\n", "upstream.timeout_seconds"),
    ("[upstream]\nurl = \"/x\"\n[data]\nlinked_paths = [\"../outside/\"]\n", "data.linked_paths"),
    (
      "[upstream]\nurl = \"/x\"\n[validation]\nimport_modules = [\"os; import sys\"]\n",
      "validation.import_modules"
    ),
    ("[upstream]\nurl = \"/x\"\n[humans]\nproof = \"password\"\n", "humans.proof"),
    (
      "[upstream]\nurl = \"/x\"\n[python]\nsource_builds = [\"--index-url=http://evil\"]\n",
      "python.source_builds"
    ),
    ("[upstream]\nurl = \"/x\"\n[python]\noverrides = [\"/etc/passwd\"]\n", "python.overrides"),
    ("[upstream]\nurl = \"/x\"\n[service]\nhealth_version = \"gitinfo..tag\"\n", "service.health_version"),
    ("[upstream\nurl = \"/x\"\n", "not valid TOML"),
  ]

  @Test("unknown keys, wrong types and bad values are refused naming the key", arguments: bad)
  func refused(text: String, key: String) {
    do {
      _ = try ConfigLoader.parse(text)
      Issue.record("accepted: \(text)")
    } catch {
      #expect(error.kind == .badInput)
      #expect(error.message.contains(key), "\(error.message)")
    }
  }
}
