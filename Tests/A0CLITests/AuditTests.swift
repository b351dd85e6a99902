import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Foundation
import Testing

@Suite("audit verify")
struct AuditTests {
  @Test("audit verify names the first bad line of an edited journal, exit 5")
  func auditVerify() throws {
    let scratch = ScratchDirectory()
    let home = try A0Binary.newHome(in: scratch)
    let paths = HomePaths(root: home)
    try TestHome.put(paths, state: .failed)
    try TestHome.put(paths, state: .complete)
    let journal = TestHome.read(paths.journal)
    try TestHome.write(paths.journal, journal.replacingOccurrences(of: "test failure", with: "all fine"))
    let result = try A0Binary.run(["audit", "verify", "--home", home, "--json"])
    #expect(result.status == 5)
    #expect(result.json?["error"]?["code"] == "integrity_violation")
    #expect(result.json?["error"]?["message"]?.stringValue?.contains("line 2") == true)
  }
}
