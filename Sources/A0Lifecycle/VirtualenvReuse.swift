import A0Core
import A0System

/// A staging whose dependency inputs equal an earlier artifact's copies
/// that artifact's virtualenv, bytecode included, instead of installing
/// again — after checking that the copy is exactly what the earlier
/// manifest recorded and that it names no path of the earlier build.
/// Anything else falls back to a fresh install, with the reason in the
/// journal.
enum VirtualenvReuse {
  /// The inputs of an install, or nil when they do not decide its result.
  static func inputs(
    python: Config.Python, installer: Config.Installer, installerPath: String, interpreterPath: String,
    installArguments: [String], requirementFiles: [TreeDigest.Entry]
  ) -> DependencyInputs? {
    guard DependencyInputs.isClosedWorld(python, installer: installer),
      let installerIdentity = identity(installerPath), let interpreterIdentity = identity(interpreterPath),
      let wheelhouse = FileIO.realPath(python.wheelhouse),
      let names = try? FileIO.listDirectory(wheelhouse)
    else { return nil }
    var entries = ["directory \(wheelhouse)"]
    for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      guard let fileIdentity = FileIO.identity(of: wheelhouse + "/" + name) else { return nil }
      entries.append("\(name.debugDescription) \(fileIdentity)")
    }
    return DependencyInputs(
      installer: installer.rawValue, installerIdentity: installerIdentity,
      interpreterIdentity: interpreterIdentity, installArguments: installArguments,
      requirementFiles: requirementFiles, wheelhouseEntries: entries)
  }

  /// The inputs of an install from an index: the resolved set decides it,
  /// with the tools that install it and the arguments they get. nil when
  /// a tool's identity cannot be read.
  static func inputs(
    resolvedRequirements: [UInt8], installer: Config.Installer, installerPath: String,
    interpreterPath: String,
    installArguments: [String]
  ) -> DependencyInputs? {
    guard let installerIdentity = identity(installerPath), let interpreterIdentity = identity(interpreterPath)
    else { return nil }
    return DependencyInputs(
      installer: installer.rawValue, installerIdentity: installerIdentity,
      interpreterIdentity: interpreterIdentity, installArguments: installArguments, requirementFiles: [],
      wheelhouseEntries: [], resolvedRequirements: Digest.sha256Hex(resolvedRequirements))
  }

  /// A resolved path with the identity of the file it names.
  private static func identity(_ path: String) -> String? {
    guard let resolved = FileIO.realPath(path), let identity = FileIO.identity(of: resolved) else {
      return nil
    }
    return "\(resolved) \(identity)"
  }

  /// The newest published artifact installed from the same inputs.
  static func candidate(_ paths: HomePaths, key: String) -> ArtifactInfo? {
    let artifacts = (try? Artifacts.list(paths).artifacts) ?? []
    return artifacts.last {
      $0.manifest.dependencyKey == key && $0.manifest.virtualenvHash != nil && $0.manifest.python != nil
    }
  }

  enum Outcome {
    case copied(TreeDigest)
    case refused(String)
  }

  /// Copies `artifact`'s virtualenv to `venv` and checks the copy; on
  /// refusal nothing is left at `venv`.
  static func copy(from artifact: ArtifactInfo, to venv: String, builds: String) -> Outcome {
    let source = artifact.appPath + "/.venv"
    let configuration = (try? FileIO.read(source + "/pyvenv.cfg")).flatMap { $0 }
      .map { String(decoding: $0, as: UTF8.self) }
    guard let configuration, isRelocatable(configuration) else {
      return .refused("the virtualenv of build \(artifact.buildID) is not relocatable")
    }
    let digest: TreeDigest
    do {
      digest = try TreeHasher.copy(from: source, to: venv)
    } catch {
      return .refused("copying the virtualenv of build \(artifact.buildID) failed: \(error.message)")
    }
    func refuse(_ reason: String) -> Outcome {
      try? FileIO.removeTree(venv)
      return .refused(reason)
    }
    // The digest is of the bytes read and written: equal to the manifest's,
    // the source was intact and the copy is what was verified.
    guard digest.treeHash == artifact.manifest.virtualenvHash else {
      return refuse("the virtualenv of build \(artifact.buildID) no longer matches its manifest")
    }
    // A venv that names a build's path would run that build's files.
    let buildPaths = [builds, FileIO.realPath(builds)].compactMap { $0 }.map { $0 + "/" }
    if let named = pathNaming(buildPaths, in: venv) {
      return refuse("\(named) in the virtualenv of build \(artifact.buildID) names a build's path")
    }
    return .copied(digest)
  }

  static func isRelocatable(_ configuration: String) -> Bool {
    configuration.split(whereSeparator: \.isNewline).contains { line in
      let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
      return parts.count == 2 && parts[0] == "relocatable" && parts[1] == "true"
    }
  }

  /// The first file where an installer writes absolute paths (scripts in
  /// `bin/`, `pyvenv.cfg`, `.pth` files) that contains one of `paths`.
  static func pathNaming(_ paths: [String], in venv: String) -> String? {
    var candidates = ["pyvenv.cfg"]
    candidates += ((try? FileIO.listDirectory(venv + "/bin")) ?? []).map { "bin/" + $0 }
    for library in ["lib", "lib64"] {
      for python in (try? FileIO.listDirectory(venv + "/" + library)) ?? [] {
        let sitePackages = "\(library)/\(python)/site-packages"
        for name in (try? FileIO.listDirectory(venv + "/" + sitePackages)) ?? [] where name.hasSuffix(".pth")
        {
          candidates.append(sitePackages + "/" + name)
        }
      }
    }
    let needles = paths.map { Array($0.utf8) }
    for relative in candidates where FileIO.readLink(venv + "/" + relative) == nil {
      guard let bytes = (try? FileIO.read(venv + "/" + relative)).flatMap({ $0 }) else { continue }
      if needles.contains(where: { bytes.contains($0) }) { return relative }
    }
    return nil
  }
}
