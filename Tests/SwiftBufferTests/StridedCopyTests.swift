import Testing
import SwiftBuffer

/// Layouts for the copy tests: everything in `everyLayout`, plus generated strides (negative,
/// doubled, mixed) over 3-d shapes, so runs of every length and direction occur.
private func copyLayouts() -> [TestLayout] {
    var layouts = everyLayout().filter { $0.itemsize == 4 }
    for shape in [[2, 3, 4], [3, 1, 2], [4, 2]] {
        let c = TestLayout.cStrides(shape, 4)
        let f = TestLayout.fStrides(shape, 4)
        for signs in 0..<(1 << shape.count) {
            let mixed = shape.indices.map { d in (signs >> d) & 1 == 1 ? -c[d] : c[d] }
            let mixedF = shape.indices.map { d in (signs >> d) & 1 == 1 ? -2 * f[d] : 2 * f[d] }
            layouts.append(.strided(name: "signs \(signs)", shape: shape, strides: mixed, itemsize: 4))
            layouts.append(.strided(name: "F doubled signs \(signs)", shape: shape, strides: mixedF, itemsize: 4))
        }
    }
    // Layouts whose elements overlap (a 0 stride) cannot hold distinct values; the copies are
    // defined only for the others.
    return layouts.filter { layout in
        let addresses = layout.indices().map { unsafe layout.address(of: $0) }
        return Set(addresses).count == addresses.count
    }
}

private func contiguousValues(_ buffer: UnsafeMutableRawPointer, count: Int) -> [Int32] {
    (0..<count).map { unsafe buffer.load(fromByteOffset: $0 * 4, as: Int32.self) }
}

@Suite struct StridedCopyTests {
    /// gather writes the elements in C or Fortran index order, whatever the layout.
    @Test(arguments: [Layout.Order.c, .fortran, .any])
    func gatherMatchesIndexOrder(order: Layout.Order) {
        for layout in copyLayouts() {
            layout.fillDistinct()
            let view = layout.descriptor
            let out = UnsafeMutableRawPointer.allocate(byteCount: max(view.len, 1), alignment: 16)
            defer { unsafe out.deallocate() }
            unsafe StridedCopy.gather(view, into: out, order: order)
            // 'A' means Fortran exactly when the layout is Fortran- and not C-contiguous.
            let fortran = order == .fortran
                || (order == .any && Layout.isContiguous(view, order: .fortran) && !Layout.isContiguous(view, order: .c))
            #expect(contiguousValues(out, count: layout.count) == layout.values(fortran: fortran), "\(layout) order=\(order)")
        }
    }

    /// scatter puts contiguous data where gather takes it from: element by element (read back
    /// through the oracle's addresses) and as a round trip.
    @Test(arguments: [Layout.Order.c, .fortran])
    func scatterRoundTrips(order: Layout.Order) {
        for layout in copyLayouts() {
            let view = layout.descriptor
            let n = layout.count
            let input = UnsafeMutableRawPointer.allocate(byteCount: max(n * 4, 1), alignment: 16)
            let back = UnsafeMutableRawPointer.allocate(byteCount: max(n * 4, 1), alignment: 16)
            defer { unsafe input.deallocate(); unsafe back.deallocate() }
            let data = (0..<n).map { Int32(1000 + $0 * 7) }
            for (k, v) in data.enumerated() { unsafe input.storeBytes(of: v, toByteOffset: k * 4, as: Int32.self) }
            unsafe StridedCopy.scatter(from: input, order: order, into: view)
            #expect(layout.values(fortran: order == .fortran) == data, "\(layout)")
            unsafe StridedCopy.gather(view, into: back, order: order)
            #expect(contiguousValues(back, count: n) == data, "\(layout)")
        }
    }

    /// Layout.copy moves every element between two layouts of the same shape, in index order,
    /// with or without scratch, and in Fortran walk order when neither side has suboffsets.
    @Test func copyBetweenLayouts() throws {
        let layouts = copyLayouts()
        for source in layouts {
            for destination in layouts where destination.shape == source.shape && destination !== source {
                let orders: [Layout.Order] = source.descriptor.suboffsets == nil && destination.descriptor.suboffsets == nil ? [.c, .fortran] : [.c]
                for order in orders {
                    for withScratch in [false, true] {
                        source.fillDistinct()
                        let bytes = try Layout.copyScratchBytes(from: source.descriptor, to: destination.descriptor) ?? 0
                        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 16)
                        defer { unsafe scratch.deallocate() }
                        unsafe Layout.copy(from: source.descriptor, to: destination.descriptor,
                                           scratch: withScratch ? scratch : nil, order: order)
                        #expect(destination.values() == source.values(), "\(source) -> \(destination) \(order) \(withScratch)")
                    }
                }
            }
        }
    }

    /// Copying a layout onto itself reversed (overlapping memory) goes through the scratch row,
    /// as CPython's copy_buffer does.
    @Test func overlappingReversal() throws {
        let forward = TestLayout.strided(name: "C", shape: [6], strides: [4], itemsize: 4)
        forward.fillDistinct()
        var reversedView = forward.descriptor
        let stride = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { unsafe stride.deallocate() }
        unsafe stride.initialize(to: -4)
        reversedView.strides = unsafe stride
        reversedView.buf = unsafe forward.buf + 20
        let bytes = try #require(try Layout.copyScratchBytes(from: forward.descriptor, to: reversedView))
        #expect(bytes == 24)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        defer { unsafe scratch.deallocate() }
        unsafe Layout.copy(from: forward.descriptor, to: reversedView, scratch: scratch)
        #expect(forward.values() == [6, 5, 4, 3, 2, 1])
    }
}
