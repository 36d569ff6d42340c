// swift-tools-version: 6.2
import PackageDescription

// Layering, enforced by target dependencies:
//   SwiftBuffer           pure Swift: request flags, struct formats, layout math, element codecs,
//                         memoryview semantics, the export envelope. No Python, no Foundation.
//   SwiftBufferPython     the public Swift API for other packages' extension modules and for apps
//                         that embed CPython: export Swift memory as swiftbuf.Buffer (through the
//                         C-API capsule of the installed swiftbuf), read any Python buffer.
//   SwiftBufferExtension  the implementation of swiftbuf._swiftbuf: its types, the capsule.
//   pyext                 the C shim of swiftbuf._swiftbuf: type specs and PyInit, forwarding.
// `swift test` builds and runs the core tests without libpython. No target carries unsafe
// flags, so `.package(url:, from:)` can depend on this package; setup.py (swiftbuf/build.py)
// passes -static-stdlib on the command line when it builds an extension module.
let package = Package(
    name: "swiftbuf",
    products: [
        // For Swift developers: their own extension modules and embedding apps.
        .library(name: "SwiftBufferPython", targets: ["SwiftBufferPython"]),
        // The CPython C API as Swift sees it (Python.h of the interpreter the build names with
        // -Xcc -I...), for extension code that calls it directly. Never re-exported.
        .library(name: "CPythonShim", targets: ["CPythonShim"]),
        // The pure-Swift core alone (layouts, formats, memoryview semantics).
        .library(name: "SwiftBuffer", targets: ["SwiftBuffer"]),
        // The CPython extension module; setup.py copies it to swiftbuf/_swiftbuf<EXT_SUFFIX>.
        .library(name: "_swiftbuf", type: .dynamic, targets: ["pyext"]),
    ],
    targets: [
        .systemLibrary(name: "CPythonShim", path: "Sources/CPythonShim"),
        .target(
            name: "SwiftBuffer",
            swiftSettings: [.strictMemorySafety()]
        ),
        // The versioned C API swiftbuf._swiftbuf publishes as a capsule (header only).
        .target(name: "pyextCAPI", dependencies: ["CPythonShim"], path: "Sources/pyext/capi"),
        .target(
            name: "SwiftBufferPython",
            dependencies: ["SwiftBuffer", "CPythonShim", "pyextCAPI"],
            swiftSettings: [.strictMemorySafety()]
        ),
        .target(
            name: "SwiftBufferExtension",
            dependencies: ["SwiftBuffer", "SwiftBufferPython", "CPythonShim", "pyextObjects", "pyextCAPI"],
            swiftSettings: [.strictMemorySafety()]
        ),
        // Object layouts shared by the C shim and the bridge (header only).
        .target(name: "pyextObjects", dependencies: ["CPythonShim"], path: "Sources/pyext/objects"),
        .target(
            name: "pyext",
            dependencies: ["SwiftBufferExtension", "pyextObjects"],
            path: "Sources/pyext",
            exclude: ["objects", "capi"]
        ),
        .testTarget(name: "SwiftBufferTests", dependencies: ["SwiftBuffer"]),
    ]
)
