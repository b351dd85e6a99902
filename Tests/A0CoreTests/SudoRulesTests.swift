import A0Core
import Testing

@Suite("sudo rules as doctor reads them")
struct SudoRulesTests {
  static let listing = """
    Matching Defaults entries for agent on vm:
        env_reset, mail_badpass,
        secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin,
        use_pty, env_reset

    Runas and Command-specific defaults for agent:
        Defaults!/usr/local/bin/a0 env_keep+="PATH HOME"

    User agent may run the following commands on vm:
        (a0) NOPASSWD: /usr/local/bin/a0 --home /srv/a0 *, /bin/ls
        (a0) SETENV: /usr/local/bin/a0 --home /srv/a0 *
        (root) NOPASSWD: /usr/bin/apt-get update
    """

  @Test("parses defaults and each command of each rule with its run-as users and tags")
  func parses() {
    let rules = SudoRules(parsing: Self.listing)
    #expect(rules.entries.count == 4)
    #expect(
      rules.entries[0]
        == .init(runAs: ["a0"], tags: ["NOPASSWD"], command: "/usr/local/bin/a0 --home /srv/a0 *"))
    #expect(rules.entries[1].command == "/bin/ls")
    #expect(rules.entries[2].tags == ["SETENV"])
    #expect(rules.defaults.contains("Defaults!/usr/local/bin/a0 env_keep+=\"PATH HOME\""))
  }

  @Test("a pinned rule with the environment reset is clean; every way around it is named")
  func problems() {
    let clean = SudoRules(
      parsing: """
        Matching Defaults entries for agent on vm:
            env_reset, secure_path=/usr/bin\\:/bin

        User agent may run the following commands on vm:
            (a0) NOPASSWD: /usr/local/bin/a0 --home /srv/a0 *
            (root) NOPASSWD: /usr/bin/apt-get update
        """)
    #expect(clean.problems(owner: "a0", binary: "/usr/local/bin/a0", home: "/srv/a0").isEmpty)

    let found = SudoRules(parsing: Self.listing).problems(
      owner: "a0", binary: "/usr/local/bin/a0", home: "/srv/a0")
    #expect(found.contains { $0.contains("/bin/ls") && $0.contains("not a0") })
    #expect(found.contains { $0.contains("SETENV") })
    #expect(found.contains { $0.contains("keep PATH") })
    #expect(found.contains { $0.contains("keep HOME") })
    #expect(
      !found.contains { $0.contains("apt-get") }, "rules for other users than a0's are not a0's business")

    for (command, what) in [
      ("/usr/local/bin/a0 *", "does not pin"), ("/usr/local/bin/a0 status --home /srv/a0", "does not pin"),
      ("/usr/local/bin/a0 --home /srv/a0*", "does not pin"), ("ALL", "any command"),
    ] {
      let rules = SudoRules(
        parsing: "User agent may run the following commands on vm:\n    (a0) NOPASSWD: \(command)\n")
      #expect(
        rules.problems(owner: "a0", binary: "/usr/local/bin/a0", home: "/srv/a0").contains {
          $0.contains(what)
        },
        "\(command)")
    }
    let loose = SudoRules(parsing: "Matching Defaults entries for agent on vm:\n    !env_reset\n")
    #expect(loose.problems(owner: "a0", binary: "/usr/local/bin/a0", home: "/srv/a0").count == 1)
  }
}
