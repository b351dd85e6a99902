import A0Core
import A0Lifecycle
import A0System
import ArgumentParser

struct CheckUpdates: Operation {
  static let configuration = CommandConfiguration(
    commandName: "check-updates",
    abstract: "List the upstream versions newer than production, newest first, with their commits.",
    discussion: """
      Read-only; anyone may run it (the agent included). Versions are ordered by their numbers, never by
      date (`v0.9.8-pre` < `v0.9.8` < `v0.9.8.1` < `v1.0`). Pre-releases are hidden unless asked for.
      An unreachable or hanging upstream gives exit 7 within upstream.timeout_seconds.

      With --notify (for a timer), it also journals `update_available` for each offered version it has
      not announced before, and `approval_expiring` for each approval in its last quarter of life and
      still unused, once each; `[notify]` then tells the human. It takes the lock to write them.

        $ a0 check-updates --json | jq -r '.data.newer[0].version'
        $ a0 check-updates --notify --wait 600   # deploy/systemd/a0-check-updates.service
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Include pre-releases (tags like v0.9.8-pre or v1.2.3-rc.1).")
  var allowPrerelease = false

  @Flag(help: "Journal each newly offered version and each approval about to expire, once (for a timer).")
  var notify = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine =
      notify
      ? try context.openForMutation(Self.operationName) : try context.openForReading(Self.operationName)
    let upstream = machine.upstream()
    let (releases, ignored) = try upstream.releases()
    let production = ProductionInfo.read(machine.paths)
    let current = production.flatMap { Version(tag: $0.version) }
    let policy = ReleasePolicy(machine: machine, upstream: upstream)
    var offered: [UpstreamRelease] = []
    var heldBack: [(UpstreamRelease, ReleasePolicy.Hold)] = []
    for release in releases where current.map({ release.version.isNewer(than: $0) }) ?? true {
      switch try policy.hold(release, production: current, askedPrerelease: allowPrerelease) {
      case nil: offered.append(release)
      case .prerelease: continue
      case let hold?: heldBack.append((release, hold))
      }
    }
    let announced =
      notify
      ? try Announcements(machine: machine).announce(offered: offered, production: production?.version) : []
    return UpdatesOutput(
      production: production?.version, newer: offered, heldBack: heldBack,
      latest: releases.first { !$0.version.isPrerelease }, ignoredTags: ignored,
      upstream: machine.config.upstream.url, announced: notify ? announced : nil)
  }
}

struct UpdatesOutput: CommandOutput {
  let production: String?
  let newer: [UpstreamRelease]
  /// Newer releases `[policy]` does not offer (yet), with why.
  let heldBack: [(UpstreamRelease, ReleasePolicy.Hold)]
  let latest: UpstreamRelease?
  let ignoredTags: Int
  let upstream: String
  /// With --notify: the events it journaled.
  var announced: [AuditEvent]? = nil

  var json: JSONValue {
    [
      "production": .optional(production), "upstream": .string(upstream),
      "newer": .array(
        newer.map {
          [
            "version": .string($0.version.tag), "commit_sha": .string($0.commitSHA),
            "prerelease": .bool($0.version.isPrerelease),
          ]
        }),
      "held_back": .array(
        heldBack.map { release, hold in
          var held: [String: JSONValue] = [
            "version": .string(release.version.tag), "commit_sha": .string(release.commitSHA),
            "reason": .string(hold.reason),
          ]
          if case .tooYoung(let eligible, _) = hold { held["eligible_at"] = .string(eligible.iso8601) }
          return .object(held)
        }),
      "latest": .optional(latest?.version.tag), "ignored_tags": .int(ignoredTags),
      "announced": announced.map { events in
        .array(
          events.map {
            [
              "event": .string($0.eventType), "seq": .int($0.seq),
              "version": .optional($0.details["version"]?.stringValue),
            ]
          })
      } ?? .null,
    ]
  }

  var text: String {
    var lines = ["Production: \(production ?? "none")", "Upstream:   \(upstream)"]
    if newer.isEmpty {
      lines.append("No newer version.")
    } else {
      lines.append("Newer versions (newest first):")
      lines += newer.map {
        "  \($0.version.tag)\t\($0.commitSHA)\($0.version.isPrerelease ? "\t(pre-release)" : "")"
      }
      lines.append("Request one with `a0 request-upgrade VERSION`.")
    }
    if !heldBack.isEmpty {
      lines.append("Held back by [policy]:")
      lines += heldBack.map { release, hold in "  \(release.version.tag)\t\(hold.reason)" }
    }
    if ignoredTags > 0 { lines.append("(\(ignoredTags) tags that are not versions were ignored)") }
    if let announced {
      lines.append(
        announced.isEmpty
          ? "Nothing new to announce."
          : "Announced: "
            + announced.map { "\($0.eventType) \($0.details["version"]?.stringValue ?? "")" }.joined(
              separator: ", "))
    }
    return lines.joined(separator: "\n")
  }
}
