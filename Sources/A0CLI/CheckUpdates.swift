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

        $ a0 check-updates --json | jq -r '.data.newer[0].version'
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Include pre-releases (tags like v0.9.8-pre or v1.2.3-rc.1).")
  var allowPrerelease = false

  func perform(_ context: CommandContext) throws -> any CommandOutput {
    let machine = try context.openForReading(Self.operationName)
    let (releases, ignored) = try machine.upstream().releases()
    let production = ProductionInfo.read(machine.paths)
    let current = production.flatMap { Version(tag: $0.version) }
    let newer = releases.filter { release in
      (allowPrerelease || !release.version.isPrerelease)
        && (current.map { release.version.isNewer(than: $0) } ?? true)
    }
    return UpdatesOutput(
      production: production?.version, newer: newer, latest: releases.first { !$0.version.isPrerelease },
      ignoredTags: ignored, upstream: machine.config.upstream.url)
  }
}

struct UpdatesOutput: CommandOutput {
  let production: String?
  let newer: [UpstreamRelease]
  let latest: UpstreamRelease?
  let ignoredTags: Int
  let upstream: String

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
      "latest": .optional(latest?.version.tag), "ignored_tags": .int(ignoredTags),
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
    if ignoredTags > 0 { lines.append("(\(ignoredTags) tags that are not versions were ignored)") }
    return lines.joined(separator: "\n")
  }
}
