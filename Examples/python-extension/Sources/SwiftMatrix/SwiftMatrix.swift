// swiftmatrix._native: matrices computed in Swift and handed to NumPy without a copy, and a
// NumPy array transformed in place from Swift, whatever its strides.
import SwiftBufferPython

@_cdecl("PyInit__native")
public func PyInit__native() -> PyObjectPointer? {
    PythonModule.initialize(name: "swiftmatrix._native", doc: "Swift-computed matrices for NumPy.", functions: [
        PythonFunction("hilbert", doc: "hilbert(n): the n x n Hilbert matrix h[i, j] = 1 / (i + j + 1), computed in Swift") {
            args throws(PythonError) in
            try args.expect(1)
            let n = try args.int(0)
            guard n >= 0 else { throw .valueError("hilbert: n must not be negative, not \(n)") }
            var h = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for j in 0..<n { h[i * n + j] = 1 / Double(i + j + 1) }
            }
            // `consume`: the Buffer takes the array's storage, no element is copied.
            return try PythonBuffer.export(consume h, shape: [n, n])
        },
        PythonFunction("clip_", doc: "clip_(a, low, high): clips a float64 array to [low, high] in place; any strides") {
            args throws(PythonError) in
            try args.expect(3)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0), writable: true)
            let low = try args.double(1), high = try args.double(2)
            guard low <= high else { throw .valueError("clip_: low \(low) is above high \(high)") }
            if view.isCContiguous || view.isFortranContiguous {
                // The contiguous fast path: one span over all the elements, in memory order.
                try view.withMutableSpan { span in
                    for i in span.indices { span[i] = min(max(span[i], low), high) }
                }
            } else {
                view.transformEach { $0 = min(max($0, low), high) }
            }
            return .none
        },
    ])
}
