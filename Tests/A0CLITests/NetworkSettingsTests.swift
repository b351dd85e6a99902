import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("The machine's network settings reach the installer", .serialized)
struct NetworkSettingsTests {
  @Test(
    "a private index behind a private CA: staging fails without SSL_CERT_FILE and passes with it",
    .enabled(if: Needs.tool("uv") && Needs.tool("openssl"), Comment(rawValue: Needs.uvReason)),
    arguments: ["uv", "pip"])
  func privateCertificateAuthority(installer: String) throws {
    let scratch = ScratchDirectory()
    let (paths, published) = try SampleApp.approved(in: scratch.path, installer: installer)
    let index = try TLSPackageIndex(in: scratch.path, wheelhouse: published.wheelhouse)
    try TestHome.configure(
      paths, ["python.wheelhouse": "\"\"", "python.install_args": "[\"--index-url\", \"\(index.url)\"]"])

    let unknownIssuer = try A0Binary.run(["begin-staging", "v1.0.0", "--home", paths.root, "--json"])
    #expect(unknownIssuer.status == 1, "the CA is not trusted without it: \(unknownIssuer.stdout)")
    #expect(try SampleApp.status(paths)?["current_state"] == "FAILED")

    try SampleApp.approve(paths, "v1.0.0")
    let trusted = try A0Binary.run(
      ["begin-staging", "v1.0.0", "--home", paths.root, "--json"],
      environment: ["SSL_CERT_FILE": index.caFile, "REQUESTS_CA_BUNDLE": index.caFile])
    #expect(trusted.status == 0, "\(trusted.stdout)")
    #expect(try SampleApp.status(paths)?["current_state"] == "VALIDATING")
    let artifact = try #require(try Artifacts.find(paths, version: "v1.0.0"))
    #expect(TestHome.read(artifact.buildPath + "/build.log").contains(index.url))
  }
}
