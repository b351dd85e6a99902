/// `builds/<id>/manifest.json` (seed schema, DESIGN.md §3).
public struct Manifest: Equatable, Sendable {
  public var version: String
  public var builtAt: String
  public var sourceURL: String
  public var commitSHA: String
  /// Relative path → SHA-256 hex, as `TreeDigest` lists them.
  public var files: [String: String]
  public var treeHash: String
  public var buildID: String
  public var buildLogPath: String?
  public var virtualenvHash: String?
  /// The interpreter and installer the venv was built with (additions to the seed schema).
  public var python: String?
  public var installer: String?
  /// SHA-256 of the `DependencyInputs` the venv was installed from, when
  /// they decide its contents; a later staging with the same key may copy
  /// this venv.
  public var dependencyKey: String?

  public init(
    version: String, builtAt: String, sourceURL: String, commitSHA: String, files: [String: String],
    treeHash: String, buildID: String, buildLogPath: String?, virtualenvHash: String?, python: String? = nil,
    installer: String? = nil, dependencyKey: String? = nil
  ) {
    self.dependencyKey = dependencyKey
    self.python = python
    self.installer = installer
    self.version = version
    self.builtAt = builtAt
    self.sourceURL = sourceURL
    self.commitSHA = commitSHA
    self.files = files
    self.treeHash = treeHash
    self.buildID = buildID
    self.buildLogPath = buildLogPath
    self.virtualenvHash = virtualenvHash
  }

  public var json: JSONValue {
    [
      "version": .string(version), "built_at": .string(builtAt), "source_url": .string(sourceURL),
      "commit_sha": .string(commitSHA),
      "checksums": [
        "algorithm": "sha256", "files": .object(files.mapValues(JSONValue.string)),
        "tree_hash": .string(treeHash),
      ],
      "build_id": .string(buildID), "build_log_path": .optional(buildLogPath),
      "virtualenv_hash": .optional(virtualenvHash), "python": .optional(python),
      "installer": .optional(installer), "dependency_key": .optional(dependencyKey),
    ]
  }

  public init(json: JSONValue) throws(StateSchemaError) {
    guard let members = json.objectValue else { throw .notAnObject }
    let fields = FieldReader(members: members, prefix: "")
    try fields.rejectUnknown([
      "version", "built_at", "source_url", "commit_sha", "checksums", "build_id", "build_log_path",
      "virtualenv_hash", "python", "installer", "dependency_key",
    ])
    python = members["python"] == nil ? nil : try fields.optionalString("python")
    installer = members["installer"] == nil ? nil : try fields.optionalString("installer")
    dependencyKey = members["dependency_key"] == nil ? nil : try fields.optionalString("dependency_key")
    version = try fields.string("version")
    builtAt = try fields.string("built_at")
    sourceURL = try fields.string("source_url")
    commitSHA = try fields.string("commit_sha")
    buildID = try fields.string("build_id")
    buildLogPath = try fields.optionalString("build_log_path")
    virtualenvHash = try fields.optionalString("virtualenv_hash")
    guard let checksums = try fields.optionalObject("checksums") else {
      throw .wrongType(field: "checksums", expected: "an object")
    }
    try checksums.rejectUnknown(["algorithm", "files", "tree_hash"])
    guard try checksums.string("algorithm") == "sha256" else {
      throw .unknownValue(field: "checksums.algorithm", value: try checksums.string("algorithm"))
    }
    treeHash = try checksums.string("tree_hash")
    guard let fileMap = try checksums.value("files").objectValue else {
      throw .wrongType(field: "checksums.files", expected: "an object")
    }
    var files: [String: String] = [:]
    for (path, hex) in fileMap {
      guard let text = hex.stringValue else {
        throw .wrongType(field: "checksums.files.\(path)", expected: "a string")
      }
      files[path] = text
    }
    self.files = files
  }
}

/// The tree hash of DESIGN.md §3: SHA-256 over the lines
/// `<hex>  <relative path>\n`, ordered by path bytewise.
public struct TreeDigest: Equatable, Sendable {
  public struct Entry: Equatable, Sendable {
    public var path: String
    public var hex: String
    public init(path: String, hex: String) {
      self.path = path
      self.hex = hex
    }
  }

  /// Sorted by the UTF-8 bytes of `path`.
  public var entries: [Entry]
  public var treeHash: String

  public init(entries: [Entry], treeHash: String) {
    self.entries = entries
    self.treeHash = treeHash
  }

  /// The bytes whose SHA-256 is the tree hash.
  public static func listing(_ entries: [Entry]) -> [UInt8] {
    var bytes: [UInt8] = []
    for entry in entries {
      bytes.append(contentsOf: entry.hex.utf8)
      bytes.append(contentsOf: [0x20, 0x20])
      bytes.append(contentsOf: entry.path.utf8)
      bytes.append(0x0A)
    }
    return bytes
  }

  public var files: [String: String] {
    Dictionary(entries.map { ($0.path, $0.hex) }, uniquingKeysWith: { first, _ in first })
  }

  /// What differs from a manifest's file list: changed, added, removed.
  public func differences(from expected: [String: String]) -> (
    changed: [String], added: [String], removed: [String]
  ) {
    let actual = files
    let changed = actual.filter { expected[$0.key] != nil && expected[$0.key] != $0.value }.keys.sorted()
    let added = actual.keys.filter { expected[$0] == nil }.sorted()
    let removed = expected.keys.filter { actual[$0] == nil }.sorted()
    return (changed, added, removed)
  }
}
