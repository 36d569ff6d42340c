// swift-tools-version: 6.1
import PackageDescription

// Layering, enforced by target dependencies:
//   SwiftBuffer        pure Swift: request flags, struct formats, layout math, element codecs,
//                      memoryview semantics, the export envelope. No Python, no Foundation.
//   SwiftBufferPython  the bridge: the only Swift that imports CPython (via CPythonShim).
//   pyext              the C shim: type objects and PyInit, forwarding into the bridge.
// `swift test` builds and runs the core tests without libpython.
let package = Package(
    name: "swiftbuf",
    products: [
        // The CPython extension module; setup.py copies it to swiftbuf/_swiftbuf<EXT_SUFFIX>.
        .library(name: "swiftbuf", type: .dynamic, targets: ["pyext"]),
        .library(name: "SwiftBuffer", targets: ["SwiftBuffer"]),
    ],
    targets: [
        .systemLibrary(name: "CPythonShim", path: "Sources/CPythonShim"),
        .target(
            name: "SwiftBuffer",
            swiftSettings: [.enableExperimentalFeature("StrictMemorySafety")]
        ),
        .target(
            name: "SwiftBufferPython",
            dependencies: ["SwiftBuffer", "CPythonShim", "pyextObjects"],
            swiftSettings: [
                // pyconfig.h turns on _GNU_SOURCE before any libc header; Glibc's module must see the
                // same declarations (fd_set differs otherwise, and module builds fail at random).
                .unsafeFlags(["-enforce-exclusivity=unchecked", "-Xcc", "-D_GNU_SOURCE"]),
                .swiftLanguageMode(.v5),
            ]
        ),
        // Object layouts shared by the C shim and the bridge (header only).
        .target(name: "pyextObjects", dependencies: ["CPythonShim"], path: "Sources/pyext/objects"),
        .target(
            name: "pyext",
            dependencies: ["SwiftBufferPython", "pyextObjects"],
            path: "Sources/pyext",
            exclude: ["objects"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        .testTarget(name: "SwiftBufferTests", dependencies: ["SwiftBuffer"]),
    ]
)
