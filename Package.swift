// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "a0",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "a0", targets: ["a0"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
  ],
  targets: [
    .executableTarget(
      name: "a0",
      dependencies: ["A0CLI"]
    ),
    .target(
      name: "A0CLI",
      dependencies: [
        "A0Core", "A0System", "A0Lifecycle",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .target(name: "A0Core"),
    .target(name: "CA0Shims"),
    // SHA-256 block functions on the CPU's SHA instructions; optimised even
    // in debug builds, where unoptimised intrinsics are ten times slower.
    .target(name: "CA0SHA256", cSettings: [.unsafeFlags(["-O2"])]),
    .target(
      name: "A0System",
      dependencies: [
        "A0Core", "CA0Shims", "CA0SHA256",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "TOMLKit", package: "TOMLKit"),
      ]
    ),
    .target(
      name: "A0Lifecycle",
      dependencies: ["A0Core", "A0System"]
    ),
    // Benchmarks/run times a0's journal append with this (never shipped).
    .executableTarget(
      name: "a0-journal-bench",
      dependencies: ["A0Core", "A0System"],
      path: "Benchmarks/JournalAppend"
    ),
    // Fixtures shared by the test targets; never linked into the a0 binary.
    .target(
      name: "A0TestSupport",
      dependencies: ["A0Core", "A0System", "A0Lifecycle"],
      path: "Tests/A0TestSupport"
    ),
    // The seeded generator every property test draws from (no dependencies, so the core tests stay pure).
    .target(name: "A0TestRandom", path: "Tests/A0TestRandom"),
    .testTarget(name: "A0CoreTests", dependencies: ["A0Core", "A0TestRandom"]),
    .testTarget(name: "A0SystemTests", dependencies: ["A0Core", "A0System", "A0TestSupport", "A0TestRandom"]),
    .testTarget(name: "A0LifecycleTests", dependencies: ["A0Core", "A0System", "A0Lifecycle", "A0TestSupport"]),
    .testTarget(
      name: "A0CLITests",
      dependencies: ["A0CLI", "A0Core", "A0System", "A0Lifecycle", "A0TestSupport", "A0TestRandom"]
    ),
  ]
)
