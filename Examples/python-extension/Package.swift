// swift-tools-version: 6.1
// The Swift half of the `swiftmatrix` Python package: one extension module, swiftmatrix._native.
// A package outside this repository names swiftbuf by URL and version instead:
//     .package(url: "https://github.com/<owner>/swiftbuf", from: "0.1.0")
import PackageDescription

let package = Package(
    name: "SwiftMatrix",
    products: [.library(name: "SwiftMatrix", type: .dynamic, targets: ["SwiftMatrix"])],
    dependencies: [.package(name: "swiftbuf", path: "../..")],
    targets: [
        .target(name: "SwiftMatrix", dependencies: [.product(name: "SwiftBufferPython", package: "swiftbuf")]),
    ]
)
