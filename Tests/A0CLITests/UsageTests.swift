import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("usage errors")
struct UsageTests {
  @Test("usage errors exit 64, with a JSON envelope when --json was given")
  func usage() throws {
    let scratch = ScratchDirectory()
    let home = try A0Binary.newHome(in: scratch)
    let result = try A0Binary.run(["status", "--home", home, "--json", "--colour"])
    #expect(result.status == 64)
    #expect(result.json?["error"]?["code"] == "usage")
    #expect(try A0Binary.run(["reset", "--home", home]).status == 64)
    #expect(try A0Binary.run(["frobnicate"]).status == 64)
    let help = try A0Binary.run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("5 integrity violation"))
  }
}
