import A0Core
import Testing

@Suite("Dependency inputs")
struct DependencyInputsTests {
  let inputs = DependencyInputs(
    installer: "uv", installerIdentity: "/usr/bin/uv 1:2 3 4.5 6.7",
    interpreterIdentity: "/usr/bin/python3 1:3 9",
    installArguments: ["--no-index", "--find-links", "/srv/wheels", "--only-binary", ":all:"],
    requirementFiles: [.init(path: "requirements.txt", hex: String(repeating: "a", count: 64))],
    wheelhouseEntries: ["directory /srv/wheels", "\"a-1.0-py3-none-any.whl\" 1:4 10 1.1 1.1"])

  @Test("every input changes the canonical bytes; equal inputs give equal bytes")
  func everyInputCounts() {
    var variants: [DependencyInputs] = []
    for change in 0..<8 {
      var other = inputs
      switch change {
      case 0: other.installer = "pip"
      case 1: other.installerIdentity += "0"
      case 2: other.interpreterIdentity = "/usr/bin/python3.12 1:3 9"
      case 3: other.installArguments.append("--no-deps")
      case 4: other.requirementFiles[0].hex = String(repeating: "b", count: 64)
      case 5:
        other.requirementFiles.append(.init(path: "extra.txt", hex: inputs.requirementFiles[0].hex))
      case 6: other.wheelhouseEntries[1] = "\"a-1.0-py3-none-any.whl\" 1:4 10 1.1 1.2"
      default: other.resolvedRequirements = String(repeating: "c", count: 64)
      }
      variants.append(other)
    }
    let all = [inputs] + variants
    #expect(Set(all.map(\.canonicalBytes)).count == all.count)
    #expect(
      inputs.canonicalBytes
        == DependencyInputs(
          installer: inputs.installer, installerIdentity: inputs.installerIdentity,
          interpreterIdentity: inputs.interpreterIdentity, installArguments: inputs.installArguments,
          requirementFiles: inputs.requirementFiles, wheelhouseEntries: inputs.wheelhouseEntries
        ).canonicalBytes)
  }

  @Test("lists cannot be re-split into the same bytes: [\"a b\"] differs from [\"a\", \"b\"]")
  func unambiguous() {
    var joined = inputs
    joined.installArguments = ["--find-links /srv/wheels"]
    var split = inputs
    split.installArguments = ["--find-links", "/srv/wheels"]
    #expect(joined.canonicalBytes != split.canonicalBytes)
  }

  @Test(
    "only uv with a wheelhouse as the sole source is a closed world",
    arguments: [
      ([], true), (["--no-deps"], true), (["--reinstall", "--compile-bytecode"], true),
      (["--index-url", "https://pypi.example/simple"], false), (["--index-url=https://x"], false),
      (["-ihttps://x"], false), (["-i", "https://x"], false), (["--extra-index-url", "https://x"], false),
      (["--find-links", "/tmp/other"], false), (["-f/tmp/other"], false),
      (["--index", "x=https://x"], false),
      (["--default-index", "https://x"], false), (["--config-file", "/tmp/uv.toml"], false),
    ] as [([String], Bool)])
  func closedWorld(arguments: [String], closed: Bool) {
    var python = Config.defaults(upstream: "/srv/app.git", link: "app").python
    python.wheelhouse = "/srv/wheels"
    python.installArgs = arguments
    #expect(DependencyInputs.isClosedWorld(python, installer: .uv) == closed)
    #expect(!DependencyInputs.isClosedWorld(python, installer: .pip), "pip's venvs name their own path")
    python.wheelhouse = ""
    #expect(
      !DependencyInputs.isClosedWorld(python, installer: .uv), "an index can change under the same inputs")
  }
}
