import A0Core
import Testing

@Suite("Progress text")
struct ProgressTextTests {
  @Test(
    "a detail from outside (a hostile URL, an installer's output) never reaches the terminal as a control sequence"
  )
  func hostileDetails() {
    let line = ProgressText.live(
      "clone", milliseconds: 1500, detail: "v1 from file:///x\u{1B}]0;owned\u{07}\u{1B}[2J\nnext", tick: 0,
      columns: 200)
    #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(line)")
    #expect(line.hasPrefix("-       clone          1.5 s   v1 from file:///x?]0;owned??[2J?next"), "\(line)")
    let wide = ProgressText.finished("clone", .ok, milliseconds: 0, detail: "漢字漢字漢字漢字", columns: 30)
    #expect(ProgressText.width(wide) <= 29, "\(wide)")
    #expect(ProgressText.seconds(185_000) == "3 min 05 s" && ProgressText.seconds(400) == "0.4 s")
    #expect(
      ProgressText.finished("dependencies", .warning, milliseconds: 0, detail: "exit 1")
        == "warning dependencies   0.0 s   exit 1")
    #expect(
      ProgressText.finished("health", .failed, milliseconds: 1200, detail: "")
        == "FAILED  health         1.2 s")
    #expect(
      ProgressText.hashing(hashed: 1234, listed: 1_234_567, listingComplete: false, bytes: 45_123_456)
        == "1,234 of 1,234,567+ files, 45.1 MB")
    #expect(
      ProgressText.hashing(hashed: 999, listed: 999, listingComplete: true, bytes: 6_930_000_000)
        == "999 of 999 files, 6.9 GB")
  }
}
