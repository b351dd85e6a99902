import A0Core
import Testing

@Suite("Package names, installer output and the health version")
struct InstallerPolicyTests {
  @Test(
    "package names compare as the index compares them (PEP 503)",
    arguments: [
      ("Flask-BasicAuth", "flask-basicauth"), ("jieba3k", "jieba3k"), ("A0_Sample.Plain", "a0-sample-plain"),
      ("zope..interface", "zope-interface"),
    ])
  func normalised(name: String, expected: String) {
    #expect(PackageName.normalized(name) == expected)
    #expect(PackageName.isValid(name))
  }

  @Test(
    "option-like or odd names are not package names", arguments: ["--index-url", "-e", "", "a b", "x/y", "é"])
  func invalid(name: String) {
    #expect(!PackageName.isValid(name))
  }

  @Test("uv's and pip's words for a package without a wheel name it, once")
  func withoutWheels() {
    let uv = """
      error: No solution found when resolving dependencies
        cause: Because flask-basicauth==0.2.0 has no usable wheels and you require flask-basicauth==0.2.0, we can conclude that your requirements are unsatisfiable.

      hint: Wheels are required for `flask-basicauth` because building from source is disabled for all packages (i.e., with `--no-build`)
      """
    #expect(InstallerOutput.packagesWithoutWheels(uv) == ["flask-basicauth"])
    let pip = """
      ERROR: Could not find a version that satisfies the requirement Jieba3k==0.35.1 (from versions: none)
      ERROR: No matching distribution found for Jieba3k==0.35.1
      """
    #expect(InstallerOutput.packagesWithoutWheels(pip) == ["jieba3k"])
    #expect(InstallerOutput.packagesWithoutWheels("ERROR: network unreachable").isEmpty)
    let advice = InstallerOutput.sourceBuildAdvice(["jieba3k"]) ?? ""
    #expect(advice.hasPrefix("add \"jieba3k\" to [python] source_builds in config.toml"))
    #expect(InstallerOutput.sourceBuildAdvice([]) == nil)
  }

  @Test("the health version is a JSON path whose string value must equal the version")
  func healthVersion() throws {
    let check = try #require(HealthVersion(path: "gitinfo.short_tag"))
    let body = Array(#"{"gitinfo": {"short_tag": "v1.7", "commit_hash": "2d95"}, "error": null}"#.utf8)
    #expect(check.mismatch(body: body, version: "v1.7") == nil)
    #expect(check.mismatch(body: body, version: "v1.6") == #"gitinfo.short_tag is "v1.7", not "v1.6""#)
    let failed = Array(#"{"gitinfo": null, "error": "dubious ownership"}"#.utf8)
    #expect(check.mismatch(body: failed, version: "v1.7") == "the health answer has no gitinfo.short_tag")
    #expect(check.mismatch(body: Array("OK".utf8), version: "v1.7")?.contains("not JSON") == true)
    #expect(HealthVersion(path: "")?.isOff == true)
    #expect(HealthVersion(path: "")?.mismatch(body: Array("OK".utf8), version: "v1") == nil)
    #expect(HealthVersion(path: "a..b") == nil)
    #expect(HealthVersion(path: ".a") == nil)
  }
}
