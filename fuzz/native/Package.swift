// swift-tools-version: 6.1
import PackageDescription

// libFuzzer target over the pure-Swift core (Sources/SwiftBuffer), with native coverage of its
// branches. Its own package, so the root Package.swift keeps no unsafe flags: the sanitizers
// come from the command line (scripts/fuzz-native.sh: `-sanitize=fuzzer,address`, which
// instruments the core too), and libFuzzer supplies `main`. Built and run by
// scripts/fuzz-native.sh.
let package = Package(
    name: "swiftbuf-fuzz",
    dependencies: [.package(name: "swiftbuf", path: "../..")],
    targets: [
        .executableTarget(
            name: "FuzzCore",
            dependencies: [.product(name: "SwiftBuffer", package: "swiftbuf")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
