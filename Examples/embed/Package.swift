// swift-tools-version: 6.1
// A Swift executable that embeds CPython: it hands a Swift array to NumPy, runs a NumPy
// computation on it and reads the results back from Swift, without a copy. libpython is linked
// by the build command (run.sh: -lpython3.X and its folder), not here, so this manifest names no
// interpreter version.
import PackageDescription

let package = Package(
    name: "EmbedNumPy",
    dependencies: [.package(name: "swiftbuf", path: "../..")],
    targets: [
        .executableTarget(
            name: "EmbedNumPy",
            dependencies: [
                .product(name: "SwiftBufferPython", package: "swiftbuf"),
                .product(name: "CPythonShim", package: "swiftbuf"),
            ]
        ),
    ]
)
