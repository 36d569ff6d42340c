import Testing
import SwiftBuffer

/// Every shape of up to 3 dimensions with extents 0...3.
private let smallShapes: [[Int]] = {
    var shapes: [[Int]] = [[]]
    var frontier: [[Int]] = [[]]
    for _ in 0..<3 {
        frontier = frontier.flatMap { s in (0...3).map { s + [$0] } }
        shapes += frontier
    }
    return shapes
}()

/// For one shape, strides built per dimension from C and Fortran strides, doubled, negated and 0.
private func strideChoices(_ shape: [Int], itemsize: Int) -> [[Int]] {
    let c = TestLayout.cStrides(shape, itemsize), f = TestLayout.fStrides(shape, itemsize)
    var result: [[Int]] = [[]]
    for d in shape.indices {
        let options = Set([c[d], f[d], 2 * c[d], -c[d], 0])
        result = result.flatMap { prefix in options.sorted().map { prefix + [$0] } }
    }
    return result
}

@Suite struct LayoutTests {
    /// `isContiguous` and `Contiguity(of:)` against enumeration, over every small shape and
    /// ~125 stride choices each, itemsizes 1 and 8.
    @Test(arguments: [1, 8])
    func contiguityMatchesEnumeration(itemsize: Int) {
        for shape in smallShapes {
            for strides in strideChoices(shape, itemsize: itemsize) {
                let layout = TestLayout.strided(name: "generated", shape: shape, strides: strides, itemsize: itemsize)
                let view = layout.descriptor
                let c = bruteForceContiguous(layout, fortran: false), f = bruteForceContiguous(layout, fortran: true)
                #expect(Layout.isContiguous(view, order: .c) == c, "\(layout)")
                #expect(Layout.isContiguous(view, order: .fortran) == f, "\(layout)")
                #expect(Layout.isContiguous(view, order: .any) == (c || f), "\(layout)")
                #expect(Contiguity(of: view) == oracleContiguity(layout), "\(layout)")
                // PyBuffer_IsContiguous's rule is the walk's answer; it parts from memoryview's
                // only for a 1-d layout of no bytes with a stride other than the itemsize.
                let byWalk = Contiguity(of: view, rule: .isContiguous)
                #expect(byWalk.contains(.c) == c && byWalk.contains(.fortran) == f, "\(layout)")
                let differs = shape.count == 1 && shape[0] == 0 && strides[0] != itemsize
                #expect((byWalk != Contiguity(of: view)) == differs, "\(layout)")
            }
        }
    }

    @Test func contiguityOfSpecialLayouts() {
        for layout in everyLayout() {
            #expect(Contiguity(of: layout.descriptor) == oracleContiguity(layout), "\(layout)")
            if layout.suboffsets != nil {
                #expect(!Layout.isContiguous(layout.descriptor, order: .any), "\(layout)")
            }
        }
        // strides == nil is C order by definition; Fortran too when at most one extent exceeds 1.
        for shape in smallShapes where !shape.isEmpty {
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(shape.reduce(4, *), 1), alignment: 16)
            let layout = TestLayout(name: "strides nil", shape: shape, strides: nil, itemsize: 4, format: "i",
                                    allocation: memory, offset: 0)
            #expect(Layout.isContiguous(layout.descriptor, order: .c), "\(layout)")
            let explicit = TestLayout.strided(name: "C", shape: shape, strides: TestLayout.cStrides(shape, 4), itemsize: 4)
            #expect(Layout.isContiguous(layout.descriptor, order: .fortran) == bruteForceContiguous(explicit, fortran: true), "\(layout)")
        }
    }

    @Test func contiguousStridesForEveryShape() {
        for shape in smallShapes {
            for itemsize in [1, 2, 8, 24] {
                let c = Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: .c)
                let f = Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: .fortran)
                // Each stride is the itemsize times the extents after (C) or before (Fortran) it.
                for d in shape.indices {
                    #expect(c[d] == shape[(d + 1)...].reduce(itemsize, *), "\(shape)")
                    #expect(f[d] == shape[..<d].reduce(itemsize, *), "\(shape)")
                }
                #expect(Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: .any) == c)
                let cLayout = TestLayout.strided(name: "C", shape: shape, strides: c, itemsize: itemsize)
                let fLayout = TestLayout.strided(name: "F", shape: shape, strides: f, itemsize: itemsize)
                #expect(Layout.isContiguous(cLayout.descriptor, order: .c))
                #expect(Layout.isContiguous(fLayout.descriptor, order: .fortran))
            }
        }
    }

    // MARK: - byteCount

    /// Exact product by double-width multiplication, the oracle for overflow.
    private func exactProduct(_ shape: [Int], _ itemsize: Int) -> Int? {
        if shape.contains(0) { return 0 }
        var product = UInt(itemsize)
        for extent in shape {
            let (high, low) = product.multipliedFullWidth(by: UInt(extent))
            if high != 0 || low > UInt(Int.max) { return nil }
            product = low
        }
        return Int(product)
    }

    @Test func byteCountAgainstExactProducts() throws {
        let extents = [0, 1, 2, 3, 7, 1 << 20, 1 << 31, 1 << 32, Int.max / 8, Int.max / 2, Int.max]
        for itemsize in [1, 8, 3] {
            for a in extents {
                for b in extents {
                    for shape in [[a], [a, b], [a, b, 3], [3, a, b]] {
                        if let exact = exactProduct(shape, itemsize) {
                            #expect(try Layout.byteCount(shape: shape, itemsize: itemsize) == exact, "\(shape) × \(itemsize)")
                        } else {
                            #expect(throws: SwiftBufferError.valueError("product(shape) * itemsize is too large"), "\(shape) × \(itemsize)") {
                                try Layout.byteCount(shape: shape, itemsize: itemsize)
                            }
                        }
                    }
                }
            }
        }
        #expect(try Layout.byteCount(shape: [], itemsize: 8) == 8)
    }

    /// A negative extent is refused wherever it is, even after a 0 (CPython: "elements of shape
    /// must be integers >= 0") and even when the other extents overflow.
    @Test func negativeExtentsAnywhere() {
        for shape in [[-1], [3, -1], [0, -1], [-1, 0], [Int.max, Int.max, -1], [Int.min], [2, 0, Int.min]] {
            #expect(throws: SwiftBufferError.valueError("shape elements cannot be negative"), "\(shape)") {
                try Layout.byteCount(shape: shape, itemsize: 1)
            }
        }
    }

    @Test func zeroExtentWinsOverOverflow() throws {
        #expect(try Layout.byteCount(shape: [Int.max, Int.max, 0], itemsize: 8) == 0)
        #expect(try Layout.byteCount(shape: [0, Int.max, Int.max], itemsize: 8) == 0)
    }

    // MARK: - verifyStructure

    /// In bounds iff every element's bytes lie inside the memory (by enumeration), once the
    /// multiple-of-itemsize rules are met; `_testbuffer`'s messages otherwise.
    @Test func verifyStructureAgainstEnumeration() {
        let itemsize = 4
        for shape in smallShapes where !shape.isEmpty {
            for strides in strideChoices(shape, itemsize: itemsize) {
                for offset in [0, 4, 8, 40] {
                    for length in [0, 4, 16, 48, 100] {
                        let got = Layout.verifyStructure(memoryLength: length, itemsize: itemsize, offset: offset,
                                                         shape: shape, strides: strides)
                        let expected: String?
                        if offset + itemsize > length {
                            expected = "offset out of bounds"
                        } else {
                            let inside = TestLayout.indices(of: shape).allSatisfy { idx in
                                let start = offset + zip(idx, strides).reduce(0) { $0 + $1.0 * $1.1 }
                                return start >= 0 && start + itemsize <= length
                            }
                            expected = inside ? nil : "invalid combination of buffer, shape and strides"
                        }
                        #expect(got == expected, "shape=\(shape) strides=\(strides) offset=\(offset) length=\(length)")
                    }
                }
            }
        }
    }

    @Test func verifyStructureMessagesAndOverflow() {
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 4, offset: 2, shape: [1], strides: [4]) == "offset must be a multiple of itemsize")
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 4, offset: -4, shape: [1], strides: [4]) == "offset out of bounds")
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 4, offset: 0, shape: [2], strides: [6]) == "strides must be a multiple of itemsize")
        // Products and sums that overflow Int are simply out of bounds, never a trap.
        let invalid = "invalid combination of buffer, shape and strides"
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 8, offset: 0, shape: [1 << 62], strides: [8]) == invalid)
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 8, offset: 0, shape: [Int.max], strides: [Int.min / 8 * 8]) == invalid)
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 8, offset: 0, shape: [3, 3], strides: [Int.max / 16 * 8, Int.max / 16 * 8]) == invalid)
        #expect(Layout.verifyStructure(memoryLength: Int.max, itemsize: 8, offset: Int.max / 8 * 8, shape: [1], strides: [8]) == "offset out of bounds")
        // Zero-size layouts address nothing.
        #expect(Layout.verifyStructure(memoryLength: 16, itemsize: 8, offset: 0, shape: [0, 1 << 62], strides: [8, 8]) == nil)
    }
}
