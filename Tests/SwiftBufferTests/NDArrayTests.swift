import Testing
import SwiftBuffer

// The ndarray layout engine, checked by enumeration: every element of every constructed,
// sliced or narrowed layout is found by PEP 3118 addressing and compared with the item that
// brute force says belongs there.

private let itemsize = 2

/// An original base buffer of `count` Int16 items holding k + 1 at item k, described by
/// `shape`/`strides`/`offset`/`flags` (`init_ndbuf` without the struct module).
private func makeBuffer(count: Int, shape: [Int], strides: [Int]?, offset: Int,
                        flags: NDFlags = []) throws(SwiftBufferError) -> NDBuffer {
    var buffer = try NDBuffer(itemCount: count, itemsize: itemsize, offset: offset, flags: flags)
    let raw = buffer.rawBytes
    for k in 0..<count { unsafe raw.storeBytes(of: Int16(k + 1), toByteOffset: itemsize * k, as: Int16.self) }
    buffer.setElement(itemsize: itemsize, format: Array("h".utf8))
    try buffer.setStructure(shape: shape, strides: strides)
    return buffer
}

/// Runs `body` on uninitialised storage for a consumer (what the bridge's ndarray object holds),
/// then deinitialises it if `body` left it initialised.
private func withConsumerStorage<R>(_ body: (UnsafeMutablePointer<NDBuffer>) throws -> (R, initialised: Bool)) rethrows -> R {
    let storage = UnsafeMutablePointer<NDBuffer>.allocate(capacity: 1)
    defer { storage.deallocate() }
    let (result, initialised) = try body(storage)
    if initialised { storage.deinitialize(count: 1) }
    return result
}

/// The element at `index`, by PEP 3118's addressing (strides, then suboffsets).
private func element(_ view: BufferDescriptor, _ index: [Int]) -> Int16 {
    var p = unsafe view.buf!
    for d in 0..<view.ndim {
        unsafe p += index[d] * view.stride(d)
        if let sub = unsafe view.suboffsets, unsafe sub[d] >= 0 {
            p = unsafe p.load(as: UnsafeMutableRawPointer.self) + sub[d]
        }
    }
    return unsafe p.loadUnaligned(as: Int16.self)
}

private func shape(of view: BufferDescriptor) -> [Int] { (0..<view.ndim).map { view.extent($0) } }

/// What `init_ndbuf` says about (count, shape, strides, offset), by brute force: nil when every
/// element lies inside the memory, else the message.
private func oracle(count: Int, shape: [Int], strides: [Int], offset: Int) -> String? {
    let length = count * itemsize
    if offset % itemsize != 0 { return "offset must be a multiple of itemsize" }
    if offset < 0 || offset + itemsize > length { return "offset out of bounds" }
    if strides.contains(where: { $0 % itemsize != 0 }) { return "strides must be a multiple of itemsize" }
    let inside = TestLayout.indices(of: shape).allSatisfy { index in
        let start = offset + zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }
        return start >= 0 && start + itemsize <= length
    }
    return inside ? nil : "invalid combination of buffer, shape and strides"
}

private let smallShapes: [[Int]] = (0...3).map { [$0] }
    + (0...3).flatMap { a in (0...3).map { b in [a, b] } }
    + [[2, 3, 2], [1, 2, 3], [0, 2, 2], [3, 1, 2]]

/// Per-dimension stride choices, in bytes: negative, zero, positive, and one that is not a
/// multiple of the itemsize.
private func strideChoices(_ ndim: Int) -> [[Int]] {
    var result: [[Int]] = [[]]
    for _ in 0..<ndim { result = result.flatMap { s in [-2, 0, 2, 4, 3].map { s + [$0] } } }
    return result
}

/// The C and Fortran contiguity of a layout by `PyBuffer_IsContiguous`'s walk, one order at a
/// time: what a base buffer's `layoutContiguity` must say.
private func walkedContiguity(_ view: BufferDescriptor) -> Contiguity {
    var result: Contiguity = []
    if Layout.isContiguous(view, order: .c) { result.insert(.c) }
    if Layout.isContiguous(view, order: .fortran) { result.insert(.fortran) }
    return result
}

@Suite struct NDArrayTests {
    // MARK: - Construction

    @Test func constructionAgainstEnumeration() throws {
        for shape in smallShapes {
            for strides in strideChoices(shape.count) {
                for offset in [0, 2, 4, 3, -2, 24] {
                    for count in [1, 6, 24] {
                        let expected = oracle(count: count, shape: shape, strides: strides, offset: offset)
                        for pil in [false, true] {
                            let label = "shape=\(shape) strides=\(strides) offset=\(offset) count=\(count) pil=\(pil)"
                            let attempt = Result { () throws(SwiftBufferError) in
                                NDArray(original: try makeBuffer(count: count, shape: shape, strides: strides, offset: offset,
                                                                 flags: pil ? .pil : []))
                            }
                            guard case .success(let array) = attempt else {
                                if case .failure(let error) = attempt { #expect(error == .valueError(expected ?? "accepted"), "\(label)") }
                                continue
                            }
                            let built = array.head
                            #expect(expected == nil, "\(label)")
                            let view = built.pointee.base
                            #expect(built.pointee.layoutContiguity == walkedContiguity(view), "\(label)")
                            #expect(view.len == shape.reduce(itemsize, *), "\(label)")
                            for index in TestLayout.indices(of: shape) {
                                let position = offset + zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }
                                #expect(element(view, index) == Int16(position / itemsize + 1), "\(label) \(index)")
                            }
                            if pil {
                                #expect(view.suboffsets != nil && built.pointee.flags.contains(.pil) && built.pointee.offset == 0, "\(label)")
                                #expect(built.pointee.flags.isDisjoint(with: [.c, .fortran]), "\(label)")
                            } else {
                                #expect(built.pointee.flags.contains(.c) == Layout.isContiguous(view, order: .c), "\(label)")
                                #expect(built.pointee.flags.contains(.fortran) == Layout.isContiguous(view, order: .fortran), "\(label)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func defaultStridesInCAndFortranOrder() throws {
        for shape in smallShapes where !shape.contains(0) {
            let count = shape.reduce(1, *)
            for fortran in [false, true] {
                let built = try makeBuffer(count: count, shape: shape, strides: nil, offset: 0, flags: fortran ? .fortran : [])
                let expected = fortran ? TestLayout.fStrides(shape, itemsize) : TestLayout.cStrides(shape, itemsize)
                #expect((0..<shape.count).map { unsafe built.base.strides![$0] } == expected)
                // Items are laid out in the array's own order.
                let order = TestLayout.indices(of: shape, fortran: fortran)
                #expect(order.map { element(built.base, $0) } == (1...count).map { Int16($0) })
            }
        }
    }

    @Test func constructionRefusals() {
        #expect(throws: SwiftBufferError.typeError("ndim = 0 cannot be used in conjunction with ND_PIL")) {
            _ = try makeBuffer(count: 1, shape: [], strides: nil, offset: 0, flags: .pil)
        }
        #expect(throws: SwiftBufferError.valueError("ndim must not exceed 128")) { try NDBuffer.checkDimensions(129) }
        #expect(throws: SwiftBufferError.typeError("ND_FORTRAN cannot be used together with strides")) {
            _ = try NDBuffer.checkStrides(count: 1, ndim: 1, flags: .fortran)
        }
        #expect(throws: SwiftBufferError.valueError("len(shape) != len(strides)")) {
            _ = try NDBuffer.checkStrides(count: 2, ndim: 1, flags: [])
        }
        #expect((try? NDBuffer.checkStrides(count: 0, ndim: 3, flags: .fortran)) == false)
        #expect(throws: SwiftBufferError.noMemory) {
            _ = try NDBuffer(itemCount: Int.max / 2, itemsize: 4, offset: 0, flags: [])
        }
        // Zero strides over a huge extent: product(shape) * itemsize does not fit in Int.
        #expect(throws: SwiftBufferError.valueError("product(shape) * itemsize is too large")) {
            _ = try makeBuffer(count: 1, shape: [Int.max / 2, 4], strides: [0, 0], offset: 0)
        }
    }

    // MARK: - Indexing and slicing

    /// Originals of several layouts, each the one base buffer of an NDArray (an array cannot
    /// hold the non-copyable NDBuffer itself).
    private func sources(_ flags: NDFlags = []) throws -> [NDArray] {
        try [
            NDArray(original: makeBuffer(count: 30, shape: [2, 3, 5], strides: nil, offset: 0, flags: flags)),
            NDArray(original: makeBuffer(count: 30, shape: [2, 3, 5], strides: nil, offset: 0, flags: flags.union(.pil))),
            NDArray(original: makeBuffer(count: 30, shape: [3, 5], strides: [-10, 2], offset: 20, flags: flags)),
            NDArray(original: makeBuffer(count: 30, shape: [3, 5], strides: [10, -2], offset: 8, flags: flags.union(.pil))),
            NDArray(original: makeBuffer(count: 30, shape: [5, 3], strides: nil, offset: 0, flags: flags.union(.fortran))),
            NDArray(original: makeBuffer(count: 1, shape: [], strides: nil, offset: 0, flags: flags)),
        ]
    }

    @Test func itemSubviews() throws {
        for array in try sources() where array.head.pointee.base.ndim > 1 {
            let source = array.head
            let view = source.pointee.base
            for i in -view.extent(0)..<view.extent(0) {
                let pointer = try source.pointee.itemPointer(i)
                let sub = NDBuffer(consuming: try NDBuffer.narrowed(view, toItemAt: pointer), hasExporter: true)
                let i0 = i < 0 ? i + view.extent(0) : i
                for rest in TestLayout.indices(of: shape(of: sub.base)) {
                    #expect(element(sub.base, rest) == element(view, [i0] + rest))
                }
                #expect(sub.flags.contains(.c) == Layout.isContiguous(sub.base, order: .c))
                #expect(sub.layoutContiguity == walkedContiguity(sub.base))
            }
            #expect(throws: SwiftBufferError.indexError("index out of bounds")) { try source.pointee.itemPointer(view.extent(0)) }
            #expect(throws: SwiftBufferError.indexError("index out of bounds")) { try source.pointee.itemPointer(-view.extent(0) - 1) }
        }
    }

    @Test func slicesSelectTheIndicesTheyName() throws {
        let bounds = [-7, -3, -1, 0, 1, 2, 4, 7]
        for array in try sources() where array.head.pointee.base.ndim > 0 {
            let view = array.head.pointee.base
            for start in bounds {
                for stop in bounds {
                    for step in [-3, -1, 1, 2] {
                        // The same slice on every dimension.
                        let slices = (0..<view.ndim).map { Layout.Slice(start: start, stop: stop, step: step, count: view.extent($0)) }
                        var sliced = NDBuffer(consuming: view, hasExporter: true)
                        try sliced.ownStructure()
                        for (d, s) in slices.enumerated() { sliced.applySlice(s, dimension: d) }
                        try sliced.finishSlicing()
                        #expect(shape(of: sliced.base) == slices.map(\.length))
                        for index in TestLayout.indices(of: shape(of: sliced.base)) {
                            let original = zip(index, slices).map { $1.start + $0 * $1.step }
                            #expect(element(sliced.base, index) == element(view, original), "\(start):\(stop):\(step) \(index)")
                        }
                        #expect(sliced.flags.contains(.ownArrays))
                        #expect(sliced.flags.contains(.c) == Layout.isContiguous(sliced.base, order: .c))
                        #expect(sliced.layoutContiguity == walkedContiguity(sliced.base))
                    }
                }
            }
        }
    }

    /// The bridge's `nd[i]` and `nd[slices]`, end to end on an array's own export: what
    /// `select` answers, the finished sub-array and slice, and their refusals in CPython's order.
    @Test func itemsAndSlicesOfAnArray() throws {
        struct Unpack: SwiftBufferErrorCarrying, Equatable {
            var core: SwiftBufferError?
            init(core: SwiftBufferError) { self.core = core }
            init() { core = nil }
        }
        let oneD = NDArray(original: try makeBuffer(count: 6, shape: [6], strides: [-2], offset: 10))
        for array in try sources() + [oneD] {
            let head = array.head
            let token = UnsafeMutableRawPointer(head)
            let view = head.pointee.base
            if view.ndim == 0 {
                #expect(throws: SwiftBufferError.typeError("invalid indexing of scalar")) { try head.pointee.select(0) }
                continue
            }
            for i in -view.extent(0)..<view.extent(0) {
                let i0 = i < 0 ? i + view.extent(0) : i
                switch unsafe try head.pointee.select(i) {
                case .element(let pointer, let format, let itemsize):
                    #expect(unsafe view.ndim == 1 && itemsize == 2 && format == view.format)
                    #expect(unsafe pointer.loadUnaligned(as: Int16.self) == element(view, [i0]))
                case .subarray(let pointer):
                    #expect(view.ndim > 1)
                    let full = try #require(try head.pointee.export(.fullRO))
                    try withConsumerStorage { storage in
                        try NDBuffer.subarray(at: storage, of: full, hasExporter: true, item: pointer)
                        let sub = storage.pointee.base
                        #expect(shape(of: sub) == Array(shape(of: view).dropFirst()))
                        for rest in TestLayout.indices(of: shape(of: sub)) {
                            #expect(element(sub, rest) == element(view, [i0] + rest))
                        }
                        #expect(storage.pointee.flags.contains(.c) == Layout.isContiguous(sub, order: .c))
                        return ((), initialised: true)
                    }
                    array.released(token)
                }
            }
            #expect(throws: SwiftBufferError.indexError("index out of bounds")) { try head.pointee.select(view.extent(0)) }

            // [1:: -1] on the first dimension, [::2] on the others.
            let full = try #require(try head.pointee.export(.fullRO))
            let unpacked = { (d: Int) throws(Unpack) in d == 0 ? (start: 1, stop: Int.min, step: -1) : (start: 0, stop: Int.max, step: 2) }
            try withConsumerStorage { storage in
                try NDBuffer.slicing(at: storage, full, hasExporter: true, count: view.ndim, unpacked: unpacked)
                let sliced = storage.pointee.base
                let slices = (0..<view.ndim).map { d in
                    let (start, stop, step) = try! unpacked(d)
                    return Layout.Slice(start: start, stop: stop, step: step, count: view.extent(d))
                }
                #expect(shape(of: sliced) == slices.map(\.length))
                for index in TestLayout.indices(of: shape(of: sliced)) {
                    #expect(element(sliced, index) == element(view, zip(index, slices).map { $1.start + $0 * $1.step }))
                }
                #expect(sliced.len == slices.reduce(itemsize) { $0 * $1.length })
                return ((), initialised: true)
            }
            // One slice too many: the key's own refusal first, then "too many slices". Either
            // leaves the storage uninitialised (it is not deinitialised here).
            withConsumerStorage { storage in
                #expect(throws: Unpack()) {
                    try NDBuffer.slicing(at: storage, full, hasExporter: true, count: view.ndim + 1) { d throws(Unpack) in
                        if d == view.ndim { throw Unpack() }
                        return (0, 1, 1)
                    }
                }
                let ndim = view.ndim
                #expect(throws: Unpack(core: .indexError("too many slices for an ndarray of \(ndim) dimension\(ndim == 1 ? "" : "s")"))) {
                    try NDBuffer.slicing(at: storage, full, hasExporter: true, count: ndim + 1) { _ throws(Unpack) in (0, 1, 1) }
                }
                return ((), initialised: false)
            }
            array.released(token)
            #expect(array.liveExports == 0)
        }
    }

    /// `c_contiguous`, `f_contiguous`, `contiguous`: the layout's answer, or nil where the
    /// flags claim otherwise (a hand-set ND_SCALAR claims every contiguity).
    @Test func checkedContiguityComparesLayoutAndFlags() throws {
        for array in try sources() {
            for order in [Layout.Order.c, .fortran, .any] {
                #expect(array.head.pointee.checkedContiguity(order) == Layout.isContiguous(array.head.pointee.base, order: order))
            }
        }
        let lying = try makeBuffer(count: 30, shape: [3, 5], strides: [-10, 2], offset: 20, flags: .scalar)
        #expect(lying.checkedContiguity(.c) == nil)
        // ND_C by hand on a Fortran layout: the flags claim C order, the layout fact does not.
        let forced = try makeBuffer(count: 15, shape: [3, 5], strides: nil, offset: 0, flags: [.fortran, .c])
        #expect(forced.flags.contains(.c) && forced.layoutContiguity == .fortran)
        var redundant = try makeBuffer(count: 6, shape: [6], strides: nil, offset: 0)
        #expect(redundant.layoutContiguity == [.c, .fortran])
        try redundant.addRedundantSuboffsets()
        #expect(redundant.layoutContiguity == [] && !Layout.isContiguous(redundant.base, order: .c))
    }

    @Test func sliceLengthsMatchIndexEnumeration() {
        for count in 0...6 {
            for start in -8...8 {
                for stop in -8...8 {
                    for step in [-4, -2, -1, 1, 2, 3] {
                        let s = Layout.Slice(start: start, stop: stop, step: step, count: count)
                        // Python's definition: the indices of range(count) that range(start, stop, step),
                        // with negative bounds counted from the end and clamped, visits.
                        let lo = start < 0 ? max(start + count, step < 0 ? -1 : 0) : min(start, step < 0 ? count - 1 : count)
                        let hi = stop < 0 ? max(stop + count, step < 0 ? -1 : 0) : min(stop, step < 0 ? count - 1 : count)
                        let visited = Array(stride(from: lo, to: hi, by: step))
                        #expect(s.length == visited.count && (visited.isEmpty || s.start == visited[0]),
                                "count=\(count) \(start):\(stop):\(step)")
                    }
                }
            }
        }
    }

    // MARK: - Assignment

    /// `copy_rec` by values: outer dimensions in order, each innermost row read whole, then written.
    private func rowBufferedOracle(_ dest: BufferDescriptor, _ src: BufferDescriptor) {
        let rows = TestLayout.indices(of: Array(shape(of: dest).dropLast()))
        let last = dest.extent(dest.ndim - 1)
        for row in (dest.ndim == 1 ? [[]] : rows) {
            let values = (0..<last).map { element(src, row + [$0]) }
            for (i, v) in values.enumerated() {
                var p = unsafe dest.buf!
                let index = row + [i]
                for d in 0..<dest.ndim {
                    unsafe p += index[d] * dest.stride(d)
                    if let sub = unsafe dest.suboffsets, unsafe sub[d] >= 0 { p = unsafe p.load(as: UnsafeMutableRawPointer.self) + sub[d] }
                }
                unsafe p.storeBytes(of: v, as: Int16.self)
            }
        }
    }

    @Test func assignmentMatchesRowBufferedOracle() throws {
        let slicesOf: [[Layout.Slice]] = [
            [Layout.Slice(start: 0, stop: 2, step: 1, count: 3), Layout.Slice(start: 0, stop: 4, step: 1, count: 5)],
            [Layout.Slice(start: 2, stop: 0, step: -1, count: 3), Layout.Slice(start: 1, stop: 5, step: 1, count: 5)],
            [Layout.Slice(start: 1, stop: 3, step: 1, count: 3), Layout.Slice(start: 4, stop: 0, step: -1, count: 5)],
        ]
        for pil in [false, true] {
            for (l, r) in [(0, 1), (1, 0), (0, 2), (2, 1), (1, 1)] {
                // Two views of one array, possibly overlapping: the case where order matters.
                let result = try makeBuffer(count: 15, shape: [3, 5], strides: nil, offset: 0, flags: pil ? .pil : [])
                let expected = try makeBuffer(count: 15, shape: [3, 5], strides: nil, offset: 0, flags: pil ? .pil : [])
                func view(_ b: borrowing NDBuffer, _ k: Int) throws -> NDBuffer {
                    var v = NDBuffer(consuming: b.base, hasExporter: true)
                    try v.ownStructure()
                    for (d, s) in slicesOf[k].enumerated() { v.applySlice(s, dimension: d) }
                    try v.finishSlicing()
                    return v
                }
                // The views own the arrays their descriptors point into; they live to the end
                // of the scope.
                let left = try view(result, l), right = try view(result, r)
                let oracleLeft = try view(expected, l), oracleRight = try view(expected, r)
                try NDAssignment.copy(right.base, into: left.base)
                rowBufferedOracle(oracleLeft.base, oracleRight.base)
                for index in TestLayout.indices(of: [3, 5]) {
                    #expect(element(result.base, index) == element(expected.base, index), "pil=\(pil) \(l)<-\(r) \(index)")
                }
            }
        }
        let a = try makeBuffer(count: 6, shape: [6], strides: nil, offset: 0)
        let b = try makeBuffer(count: 6, shape: [2, 3], strides: nil, offset: 0)
        #expect(throws: SwiftBufferError.valueError("ndarray assignment: lvalue and rvalue have different structures")) {
            try NDAssignment.copy(b.base, into: a.base)
        }
    }

    // MARK: - Exports and the list of base buffers

    @Test func exportsAnswerLikeExportRules() throws {
        for array in try sources() + sources(.writable) {
            let source = array.head
            for raw in 0..<Int32(0x200) {
                let request = BufferRequest(rawValue: raw)
                let rules = Result { () throws(SwiftBufferError) in
                    try ExportRules.answer(request, base: source.pointee.base, contiguity: source.pointee.flags.contiguity, voice: .ndarray)
                }
                let exports = source.pointee.exports.live
                switch (rules, Result { () throws(SwiftBufferError) in try source.pointee.export(request) }) {
                case (.failure(let e1), .failure(let e2)):
                    #expect(e1 == e2, "request \(raw)")
                    #expect(source.pointee.exports.live == exports)
                case (.success(let v1), .success(let v2?)):
                    #expect(unsafe v1.buf == v2.buf && v1.ndim == v2.ndim && v1.shape == v2.shape
                            && v1.strides == v2.strides && v1.format == v2.format, "request \(raw)")
                    #expect(source.pointee.exports.live == exports + 1)
                    array.released(UnsafeMutableRawPointer(source))
                default:
                    Issue.record("request \(raw): ExportRules \(rules), ndarray disagrees")
                }
            }
            #expect(source.pointee.exports.live == 0)
        }
    }

    @Test func getbufFailAndRedirect() throws {
        var failing = try makeBuffer(count: 3, shape: [3], strides: nil, offset: 0, flags: .getbufFail)
        #expect(throws: SwiftBufferError.bufferError("ND_GETBUF_FAIL: forced test exception")) {
            try failing.export(.fullRO)
        }
        var source = try makeBuffer(count: 3, shape: [3], strides: nil, offset: 0)
        var consumer = NDBuffer(consuming: try #require(try source.export(.simple)), hasExporter: true)
        #expect(throws: SwiftBufferError.bufferError("re-exporter does not provide format, shape or strides")) {
            try consumer.export(.nd)
        }
        #expect(try consumer.export(.simple) != nil)
        #expect(consumer.exports.live == 1)
        consumer.released()
        #expect(consumer.exports.live == 0)
        var redirecting = NDBuffer(consuming: source.base, hasExporter: true, userFlags: .redirect)
        #expect(try redirecting.export(.fullRO) == nil)  // the bridge asks the exporter instead
        #expect(redirecting.exports.live == 0)
    }

    @Test func baseBuffersLiveWhileExported() throws {
        let array = NDArray(original: try makeBuffer(count: 3, shape: [3], strides: nil, offset: 0), varExport: true)
        let first = UnsafeMutableRawPointer(array.head)
        _ = try array.head.pointee.export(.fullRO)
        let second = try makeBuffer(count: 2, shape: [2], strides: nil, offset: 0)
        let secondMemory = second.base.buf
        try NDArray.checkPush(flags: [], onto: array)  // allowed under ND_VAREXPORT
        array.push(second)
        #expect(array.head.pointee.base.buf == secondMemory && array.liveExports == 1)
        array.released(first)  // not the head: dropped with its last export
        #expect(array.liveExports == 0)
        #expect(throws: SwiftBufferError.bufferError("list only has a single base")) { try array.pop() }

        let fixed = NDArray(original: try makeBuffer(count: 3, shape: [3], strides: nil, offset: 0))
        _ = try fixed.head.pointee.export(.simple)
        _ = try fixed.head.pointee.export(.simple)
        #expect(throws: SwiftBufferError.bufferError("cannot change structure: 2 exported buffers")) {
            try NDArray.checkPush(flags: [], onto: fixed)
        }
        #expect(throws: SwiftBufferError.bufferError("cannot change structure: 2 exported buffers")) { try fixed.pop() }
        #expect(throws: SwiftBufferError.valueError("ND_VAREXPORT flag can only be used during object creation")) {
            try NDArray.checkPush(flags: .varExport, onto: fixed)
        }
        // A consumer (no NDArray) refuses every change, after the flag check.
        #expect(throws: SwiftBufferError.bufferError("structure of re-exporting object is immutable")) {
            try NDArray.checkPush(flags: [], onto: nil)
        }
        #expect(NDArray.consumerRefusal == .bufferError("structure of re-exporting object is immutable"))
        #expect(throws: SwiftBufferError.valueError("ND_VAREXPORT flag can only be used during object creation")) {
            try NDArray.checkPush(flags: .varExport, onto: nil)
        }
    }

    @Test func pinnedConsumerCountsAsAnExport() throws {
        let array = NDArray(original: try makeBuffer(count: 3, shape: [3], strides: nil, offset: 0))
        withConsumerStorage { storage in
            storage.initialize(to: NDBuffer(consuming: array.head.pointee.base, hasExporter: true))
            NDBuffer.withPinned(storage) {
                #expect(storage.pointee.exports.live == 1)
            }
            #expect(storage.pointee.exports.live == 0)
            // Given back when the body throws, too.
            #expect(throws: SwiftBufferError.valueError("from the body")) {
                try NDBuffer.withPinned(storage) { () throws(SwiftBufferError) in throw .valueError("from the body") }
            }
            #expect(storage.pointee.exports.live == 0)
            return ((), initialised: true)
        }
    }

    @Test func retainedHeadOutlivesPop() throws {
        let array = NDArray(original: try makeBuffer(count: 3, shape: [3], strides: nil, offset: 0))
        array.push(try makeBuffer(count: 2, shape: [2], strides: [-2], offset: 2))
        let (head, owner) = array.retainedHead
        #expect(throws: Never.self) { try array.pop() }
        // The popped base buffer is still whole: its items, as built.
        #expect(element(head.pointee.base, [0]) == 2 && element(head.pointee.base, [1]) == 1)
        #expect(array.head != head && array.head.pointee.base.ndim == 1 && array.head.pointee.base.extent(0) == 3)
        withExtendedLifetime(owner) {}
    }

    // MARK: - Copies and comparisons

    @Test(arguments: [Layout.Order.c, .fortran, .any])
    func contiguousCopies(order: Layout.Order) throws {
        for layout in everyLayout() where layout.itemsize == 4 {
            layout.fillDistinct()
            let copy = try NDBuffer(contiguousCopyOf: layout.descriptor, order: order)
            let resolved: Layout.Order = order == .fortran ? .fortran : .c
            #expect(Layout.isContiguous(copy.base, order: resolved), "\(layout)")
            #expect(copy.base.readonly && copy.flags.contains(resolved == .c ? .c : .fortran), "\(layout)")
            for index in layout.indices() {
                var p = unsafe copy.base.buf!
                for d in index.indices { unsafe p += index[d] * copy.base.stride(d) }
                let copied = unsafe p.load(as: Int32.self), original = unsafe layout.address(of: index).load(as: Int32.self)
                #expect(copied == original, "\(layout) \(index)")
            }
            #expect(NDInspect.contiguousEqual(copy.base, copy.base))
        }
    }

    @Test func getPointerAddressesLikePEP3118() throws {
        for array in try sources() {
            let source = array.head.pointee.base
            for index in TestLayout.indices(of: shape(of: source)) {
                let p = NDInspect.pointer(in: source, at: index)
                #expect(unsafe p.loadUnaligned(as: Int16.self) == element(source, index))
            }
            if source.ndim > 1 {
                #expect(throws: SwiftBufferError.valueError("get_pointer(): invalid index 9 at position 1")) {
                    try NDInspect.checkIndex(9, position: 1, of: source)
                }
            }
        }
    }
}
