/// Everything that decides which files an install puts into a release's
/// virtualenv. Two stagings with equal inputs install the same files, so
/// the second may copy the first's verified virtualenv instead of
/// installing again: the rule of a content-addressed store (same inputs,
/// same output), with the output checked against its recorded hash.
///
/// In a closed world (`isClosedWorld`) packages come from a wheelhouse
/// alone, whose every file is part of the inputs, so the inputs decide the
/// result before anything is resolved. With an index the same requirement
/// lines can resolve to newer releases tomorrow: there the inputs are the
/// resolved set itself (`resolvedRequirements`, every package pinned by
/// `uv pip compile`), which is also what the install then syncs, so a copy
/// never freezes what a fresh install would update.
public struct DependencyInputs: Equatable, Sendable {
  /// Installer name, and its executable's path and file identity.
  public var installer: String
  public var installerIdentity: String
  /// The interpreter's resolved path and file identity.
  public var interpreterIdentity: String
  /// Arguments given to every install (source selection, config's install_args).
  public var installArguments: [String]
  /// Each requirements file's path in the release and the SHA-256 of its
  /// bytes, in the order the installer reads them, includes after their parent.
  public var requirementFiles: [TreeDigest.Entry]
  /// One line per wheelhouse file: name and file identity.
  public var wheelhouseEntries: [String]
  /// SHA-256 of the resolved requirements (every package pinned), when an
  /// index took part in resolving them.
  public var resolvedRequirements: String?

  public init(
    installer: String, installerIdentity: String, interpreterIdentity: String, installArguments: [String],
    requirementFiles: [TreeDigest.Entry], wheelhouseEntries: [String], resolvedRequirements: String? = nil
  ) {
    self.installer = installer
    self.installerIdentity = installerIdentity
    self.interpreterIdentity = interpreterIdentity
    self.installArguments = installArguments
    self.requirementFiles = requirementFiles
    self.wheelhouseEntries = wheelhouseEntries
    self.resolvedRequirements = resolvedRequirements
  }

  /// The bytes whose SHA-256 is the dependency key recorded in a manifest:
  /// canonical JSON, so no two different inputs share a serialisation.
  public var canonicalBytes: [UInt8] {
    JSONValue.object([
      // 2: virtualenv digests cover bytecode, and index installs are keyed by their resolved set.
      "schema": "a0-dependency-inputs-2",
      "installer": .string(installer), "installer_identity": .string(installerIdentity),
      "interpreter_identity": .string(interpreterIdentity),
      "install_arguments": .array(installArguments.map(JSONValue.string)),
      "requirement_files": .array(
        requirementFiles.map { ["path": .string($0.path), "sha256": .string($0.hex)] }),
      "wheelhouse": .array(wheelhouseEntries.map(JSONValue.string)),
      "resolved_requirements": resolvedRequirements.map(JSONValue.string) ?? .null,
    ]).canonicalBytes
  }

  /// Options that add a package source the inputs do not capture.
  static let sourceOptions = [
    "-i", "--index-url", "--extra-index-url", "--index", "--default-index", "-f", "--find-links",
    "--index-strategy", "--keyring-provider", "--config-file",
  ]

  /// Whether installs with this configuration are decided by the inputs:
  /// uv (whose relocatable virtualenvs carry no absolute path of their
  /// own), a wheelhouse as the only source, and no install argument that
  /// names another source.
  public static func isClosedWorld(_ python: Config.Python, installer: Config.Installer) -> Bool {
    guard installer == .uv, !python.wheelhouse.isEmpty else { return false }
    return !python.installArgs.contains { argument in
      sourceOptions.contains { argument == $0 || argument.hasPrefix($0 + "=") }
        || (argument.hasPrefix("-i") && argument.count > 2)
        || (argument.hasPrefix("-f") && argument.count > 2)
    }
  }
}
