// swift-tools-version: 6.1
// A Swift developer's extension module, as a user would write it: it depends on swiftbuf's
// SwiftBufferPython library and nothing else of it. tests_py/test_swift_package.py copies this
// package to a temporary folder, points the dependency at the checkout under test, builds it
// with swiftbuf.build and imports it next to `import swiftbuf`; benchmarks/bench_swift_api.py
// uses it for its C reference loops.
import PackageDescription

let package = Package(
    name: "SwiftbufTestExtension",
    products: [.library(name: "swiftbuf_testext", type: .dynamic, targets: ["SwiftbufTestExtension"])],
    dependencies: [.package(name: "swiftbuf", path: "../..")],
    targets: [
        // The C reference the benchmarks compare the Swift API with: the same loops over
        // PyObject_GetBuffer, and the same export through swiftbuf's C-API capsule, written in
        // C (whose table, swiftbuf_capi.h, comes with SwiftBufferPython). Its header names no
        // Python type, so Python.h stays in swiftbuf's CPythonShim module alone.
        .target(name: "CReference", dependencies: [.product(name: "SwiftBufferPython", package: "swiftbuf")]),
        .target(
            name: "SwiftbufTestExtension",
            dependencies: [
                .product(name: "SwiftBufferPython", package: "swiftbuf"),
                .product(name: "CPythonShim", package: "swiftbuf"),
                "CReference",
            ]
        ),
    ]
)
