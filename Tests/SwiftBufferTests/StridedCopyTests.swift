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

    /// Elements of every size move whole (the machine sizes as one load and store, the others
    /// by memmove), with and without scratch, at odd byte addresses, and through a suboffset:
    /// a source of strides `2 * itemsize + 1`, directly and through a pointer table, into a
    /// reversed destination.
    @Test func copyMovesElementsOfEverySize() throws {
        let n = 5
        for itemsize in [1, 2, 3, 4, 8, 12] {
            let sStride = 2 * itemsize + 1
            let sBytes = sStride * n + 1, dBytes = itemsize * n + 1
            let src = UnsafeMutableRawPointer.allocate(byteCount: sBytes, alignment: 16)
            let dst = UnsafeMutableRawPointer.allocate(byteCount: dBytes, alignment: 16)
            let table = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: n)
            let arrays = UnsafeMutablePointer<Int>.allocate(capacity: 5)
            defer { unsafe src.deallocate(); unsafe dst.deallocate(); unsafe table.deallocate(); unsafe arrays.deallocate() }
            for k in 0..<sBytes { unsafe src.storeBytes(of: UInt8(truncatingIfNeeded: k &* 37 &+ 11), toByteOffset: k, as: UInt8.self) }
            // shape, source stride, destination stride, pointer-table stride, suboffset.
            for (i, v) in [n, sStride, -itemsize, MemoryLayout<UnsafeMutableRawPointer>.stride, 1].enumerated() {
                unsafe (arrays + i).initialize(to: v)
            }
            for i in 0..<n { unsafe (table + i).initialize(to: src + i * sStride) }
            let strided = unsafe BufferDescriptor(buf: src + 1, len: n * itemsize, itemsize: itemsize, readonly: true, ndim: 1,
                                                  format: nil, shape: arrays, strides: arrays + 1, suboffsets: nil)
            let indirect = unsafe BufferDescriptor(buf: UnsafeMutableRawPointer(table), len: n * itemsize, itemsize: itemsize,
                                                   readonly: true, ndim: 1, format: nil, shape: arrays, strides: arrays + 3,
                                                   suboffsets: arrays + 4)
            let destination = unsafe BufferDescriptor(buf: dst + 1 + (n - 1) * itemsize, len: n * itemsize, itemsize: itemsize,
                                                      readonly: false, ndim: 1, format: nil, shape: arrays, strides: arrays + 2,
                                                      suboffsets: nil)
            for (name, source) in [("strided", strided), ("indirect", indirect)] {
                for withScratch in [false, true] {
                    unsafe dst.initializeMemory(as: UInt8.self, repeating: 0, count: dBytes)
                    let bytes = try #require(try Layout.copyScratchBytes(from: source, to: destination))
                    let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
                    defer { unsafe scratch.deallocate() }
                    unsafe Layout.copy(from: source, to: destination, scratch: withScratch ? scratch : nil)
                    for i in 0..<n {
                        let expected = (0..<itemsize).map { unsafe src.load(fromByteOffset: 1 + i * sStride + $0, as: UInt8.self) }
                        let moved = (0..<itemsize).map { unsafe dst.load(fromByteOffset: 1 + (n - 1 - i) * itemsize + $0, as: UInt8.self) }
                        #expect(moved == expected, "itemsize \(itemsize), \(name), scratch \(withScratch), element \(i)")
                    }
                    #expect(unsafe dst.load(as: UInt8.self) == 0, "itemsize \(itemsize), \(name): a byte before the destination was written")
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
