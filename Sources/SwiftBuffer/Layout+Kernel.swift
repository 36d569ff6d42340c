// MARK: - The strided-layout kernel
//
// Every walk over a (buf, shape, strides, suboffsets) layout is written here once, and the
// memoryview semantics (`MemoryView`), the `_testbuffer` engine (`NDBuffer`), tobytes and
// `py_buffer_to_contiguous` (`StridedCopy`), comparison and the bridge call it:
//
// - `follow`: CPython's `ADJUST_PTR`, the one place a suboffset's pointer table is read;
// - `Slice` and `applySlice`: `PySlice_AdjustIndices` and `init_slice`;
// - `sameStructure`: `equiv_structure` (memoryobject.c) and `cmp_structure` (_testbuffer.c),
//   which differ only in whether a leading `@` is dropped from the formats (`FormatMatch`);
// - `copyScratchBytes` and `copy`: `copy_buffer`/`copy_rec`, a copy between any two layouts
//   of one shape with the caller's scratch memory;
// - `forEachElement` and `allPairs`: the element visitors of `tolist_rec` and `cmp_rec`.

extension Layout {
    /// `ADJUST_PTR`: when dimension `dimension` is indirect (`suboffsets[dimension] >= 0`),
    /// the address stored at `pointer` plus the suboffset; otherwise `pointer`.
    ///
    /// The pointer is loaded unaligned: PEP 3118 says nothing about the alignment of a pointer
    /// table, and a slice of an array of pointers with an odd byte offset is valid.
    @inlinable @inline(__always)
    public static func follow(_ pointer: UnsafeMutableRawPointer, _ suboffsets: UnsafeMutablePointer<Int>?,
                              dimension: Int) -> UnsafeMutableRawPointer {
        if let sub = unsafe suboffsets, unsafe sub[dimension] >= 0 {
            // safe because: a nonnegative suboffset says the bytes here are a pointer (PEP 3118).
            return unsafe pointer.loadUnaligned(as: UnsafeMutableRawPointer.self) + sub[dimension]
        }
        return unsafe pointer
    }

    /// Whether dimension `dimension` of `view` is indirect.
    @inlinable @inline(__always)
    static func isIndirect(_ view: BufferDescriptor, _ dimension: Int) -> Bool {
        unsafe view.suboffsets.map { unsafe $0[dimension] >= 0 } ?? false
    }

    // MARK: Slices (PySlice_AdjustIndices, init_slice)

    /// A slice resolved against a length: `PySlice_AdjustIndices` after `PySlice_Unpack`.
    public struct Slice: Equatable, Sendable {
        public var start: Int
        public var stop: Int
        public var step: Int
        /// Number of indices the slice selects (`slicelength`).
        public var length: Int

        /// Clamps an unpacked slice (`start`, `stop`, `step` as `PySlice_Unpack` returns them:
        /// step nonzero and at least `-Int.max`, None already replaced by its default) to a
        /// sequence of `count` items.
        ///
        /// `count` may be anything `slice_indices` is given, negative included; the arithmetic
        /// wraps where CPython's would overflow (it never does for a real length) instead of
        /// trapping.
        @inlinable
        public init(start: Int, stop: Int, step: Int, count: Int) {
            precondition(step != 0, "Layout.Slice: step must not be zero")
            var start = start, stop = stop
            if start < 0 {
                start &+= count
                if start < 0 { start = step < 0 ? -1 : 0 }
            } else if start >= count {
                start = step < 0 ? count &- 1 : count
            }
            if stop < 0 {
                stop &+= count
                if stop < 0 { stop = step < 0 ? -1 : 0 }
            } else if stop >= count {
                stop = step < 0 ? count &- 1 : count
            }
            var length = 0
            if step < 0 {
                if stop < start { length = (start &- stop &- 1) / (0 &- step) &+ 1 }
            } else if start < stop {
                length = (stop &- start &- 1) / step &+ 1
            }
            self.start = start
            self.stop = stop
            self.step = step
            self.length = length
        }
    }

    /// `init_slice`: narrows dimension `dimension` of arrays the caller owns to `slice` and
    /// returns the new `buf`. The first selected item becomes the base, unless an earlier
    /// dimension is indirect: then the offset moves into the nearest such dimension's
    /// suboffset, since `buf` addresses pointers there, not items. `len` is the caller's
    /// (memoryview's `init_len` and _testbuffer's checked product differ).
    @inlinable @inline(__always)
    public static func applySlice(_ slice: Slice, dimension: Int, buf: UnsafeMutableRawPointer?,
                                  shape: UnsafeMutablePointer<Int>, strides: UnsafeMutablePointer<Int>,
                                  suboffsets: UnsafeMutablePointer<Int>?) -> UnsafeMutableRawPointer? {
        // Wrapping, as in C: the offset of an empty slice may point one past either end, and a
        // huge step on a one-item slice yields a stride that is never used to address memory.
        let offset = unsafe strides[dimension] &* slice.start
        var result = unsafe buf
        var indirect = -1
        if let sub = unsafe suboffsets, dimension > 0 {
            var n = dimension - 1
            while unsafe n >= 0 && sub[n] < 0 { n -= 1 }
            indirect = n
        }
        if indirect >= 0 {
            unsafe suboffsets![indirect] &+= offset
        } else {
            unsafe result = unsafe buf.map { unsafe $0 + offset }
        }
        unsafe shape[dimension] = slice.length
        unsafe strides[dimension] = strides[dimension] &* slice.step
        return unsafe result
    }

    /// `applySlice` on a descriptor whose shape and strides the caller owns (`len` unchanged).
    @inlinable @inline(__always)
    public static func applySlice(_ slice: Slice, dimension: Int, to layout: inout BufferDescriptor) {
        unsafe layout.buf = unsafe applySlice(slice, dimension: dimension, buf: layout.buf, shape: layout.shape!,
                                       strides: layout.strides!, suboffsets: layout.suboffsets)
    }

    // MARK: Structure (equiv_structure, cmp_structure)

    /// How two formats must match for two layouts to have the same structure.
    public enum FormatMatch: Sendable {
        /// memoryobject.c's `equiv_format`: equal once a leading `@` is dropped.
        case ignoringNativePrefix
        /// _testbuffer.c's `cmp_structure`: byte for byte.
        case exact
    }

    /// `equiv_shape`: same ndim, and the same extents up to the first zero (from there on
    /// both are empty, so `[1, 0, 5]` and `[1, 0, 7]` are equivalent, as in NumPy).
    @inlinable @inline(__always)
    public static func equivalentShapes(_ a: BufferDescriptor, _ b: BufferDescriptor) -> Bool {
        if a.ndim != b.ndim { return false }
        if let sa = unsafe a.shape, let sb = unsafe b.shape { return unsafe equivalentShapes(a.ndim, sa, sb) }
        for i in 0..<a.ndim {
            let extent = a.extent(i)
            if extent != b.extent(i) { return false }
            if extent == 0 { break }
        }
        return true
    }

    /// `equivalentShapes` of two layouts of `ndim` dimensions whose shapes are both given.
    @inlinable @inline(__always)
    public static func equivalentShapes(_ ndim: Int, _ a: UnsafePointer<Int>, _ b: UnsafePointer<Int>) -> Bool {
        var i = 0
        while i < ndim {
            let extent = unsafe a[i]
            if unsafe extent != b[i] { return false }
            if extent == 0 { break }
            i += 1
        }
        return true
    }

    /// `equiv_structure`/`cmp_structure`: the same itemsize, format (NULL meaning `"B"`, compared
    /// as `formats` says) and equivalent shapes: what a copy between two layouts requires.
    @inlinable @inline(__always)
    public static func sameStructure(_ a: BufferDescriptor, _ b: BufferDescriptor, formats: FormatMatch) -> Bool {
        guard a.itemsize == b.itemsize else { return false }
        return unsafe sameFormat(a.format, b.format, formats) && equivalentShapes(a, b)
    }

    /// The two C-string formats (nil meaning `"B"`) are equal, as `formats` says: `strcmp`, one
    /// byte at a time, with no length computed first (a generic `elementsEqual` over two
    /// counted buffers cost a third of a slice assignment's own instructions under callgrind).
    @inlinable
    static func sameFormat(_ a: UnsafePointer<CChar>?, _ b: UnsafePointer<CChar>?, _ formats: FormatMatch) -> Bool {
        if unsafe a == b { return true }
        var pa = unsafe UnsafeRawPointer(a ?? UnsafeRawPointer(unsignedByteCString).assumingMemoryBound(to: CChar.self))
            .assumingMemoryBound(to: UInt8.self)
        var pb = unsafe UnsafeRawPointer(b ?? UnsafeRawPointer(unsignedByteCString).assumingMemoryBound(to: CChar.self))
            .assumingMemoryBound(to: UInt8.self)
        if formats == .ignoringNativePrefix {
            if unsafe pa.pointee == UInt8(ascii: "@") { unsafe pa += 1 }
            if unsafe pb.pointee == UInt8(ascii: "@") { unsafe pb += 1 }
        }
        while true {
            let ca = unsafe pa.pointee
            if unsafe ca != pb.pointee { return false }
            if ca == 0 { return true }
            unsafe pa += 1
            unsafe pb += 1
        }
    }

    // MARK: Copies between layouts (copy_buffer, copy_rec)

    /// The scratch a `copy` between two layouts of the same structure needs to behave as
    /// CPython's `copy_buffer` on overlapping memory: nil when the innermost rows of both are
    /// plain contiguous runs (each row is then one `memmove`), else the bytes of one innermost
    /// row (0 for an empty row). MemoryError when that size overflows.
    @inlinable @inline(__always)
    public static func copyScratchBytes(from source: BufferDescriptor, to destination: BufferDescriptor) throws(SwiftBufferError) -> Int? {
        guard destination.ndim > 0 else { return nil }
        let last = destination.ndim - 1, itemsize = destination.itemsize
        if !isIndirect(destination, last) && !isIndirect(source, last)
            && destination.stride(last) == itemsize && source.stride(last) == itemsize {
            return nil
        }
        let (bytes, overflow) = destination.extent(last).multipliedReportingOverflow(by: itemsize)
        if overflow { throw .noMemory }
        return bytes
    }

    /// Copies every element of `source` to the same index in `destination` (the same shape
    /// and itemsize; any strides, negative included; suboffsets on either side).
    ///
    /// Innermost rows that are contiguous runs on both sides move with one `memmove`. Other
    /// rows go through `scratch` when it is given (`copyScratchBytes` says its size), which
    /// makes overlapping layouts end up exactly as with CPython's `copy_buffer`; with nil
    /// scratch, elements move one by one, which is right whenever the memory cannot overlap.
    ///
    /// `order` is the index order of the walk: `.fortran` visits the first index fastest, so a
    /// Fortran-ordered side moves in runs; suboffsets must be followed in dimension order, so
    /// it requires that neither side has any. Anything else means C order.
    @inlinable @inline(__always)
    public static func copy(from source: BufferDescriptor, to destination: BufferDescriptor,
                            scratch: UnsafeMutableRawPointer?, order: Order = .c) {
        guard let dbuf = unsafe destination.buf, let sbuf = unsafe source.buf else { return }
        let ndim = destination.ndim, itemsize = destination.itemsize
        if ndim == 0 {
            unsafe dbuf.copyMemory(from: sbuf, byteCount: itemsize)
            return
        }
        // One contiguous run on both sides (a 1-d slice assignment between plain buffers, the
        // common case): one memmove, inline, without building the walk's table.
        if unsafe ndim == 1 && source.suboffsets == nil && destination.suboffsets == nil
            && destination.stride(0) == itemsize && source.stride(0) == itemsize {
            unsafe dbuf.copyMemory(from: sbuf, byteCount: destination.extent(0) &* itemsize)  // memmove
            return
        }
        unsafe copyWalk(from: source, to: destination, dbuf: dbuf, sbuf: sbuf, scratch: scratch, order: order)
    }

    /// `copy` of anything but one contiguous run: the walk over a table of both layouts.
    @inlinable @inline(never)
    static func copyWalk(from source: BufferDescriptor, to destination: BufferDescriptor,
                         dbuf: UnsafeMutableRawPointer, sbuf: UnsafeMutableRawPointer,
                         scratch: UnsafeMutableRawPointer?, order: Order) {
        let ndim = destination.ndim, itemsize = destination.itemsize
        let fortran = order == .fortran
        unsafe precondition(!fortran || (source.suboffsets == nil && destination.suboffsets == nil),
                     "Layout.copy: a Fortran-order walk cannot follow suboffsets")
        // Extents and both strides, in walk order, in one table on the stack (ndim <= 128):
        // absent shape or strides are reconstructed once, not at every step.
        unsafe withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * ndim) { storage in
            let table = storage.baseAddress!
            for level in 0..<ndim {
                let dim = fortran ? ndim - 1 - level : level
                unsafe table[level] = destination.extent(dim)
                unsafe table[ndim + level] = destination.stride(dim)
                unsafe table[2 * ndim + level] = source.stride(dim)
            }
            unsafe copyRows(level: 0, ndim: ndim, itemsize: itemsize, table: table,
                            dptr: dbuf, dsub: destination.suboffsets, sptr: sbuf, ssub: source.suboffsets,
                            scratch: scratch)
        }
    }

    /// One innermost row of `copy_rec` that is not a contiguous run on both sides (`copy_base`):
    /// each element follows the row's suboffset where it has one, and with `scratch` the row
    /// is gathered whole before it is scattered, so overlapping memory ends up as CPython's.
    @unsafe @usableFromInline
    struct RowCopy {
        let extent: Int, itemsize: Int, level: Int
        let dptr: UnsafeMutableRawPointer, dstride: Int, dsub: UnsafeMutablePointer<Int>?
        let sptr: UnsafeMutableRawPointer, sstride: Int, ssub: UnsafeMutablePointer<Int>?
        let scratch: UnsafeMutableRawPointer?

        /// Moves the row, `move` copying one element (itemsize bytes) from its second
        /// argument to its first.
        @inline(__always)
        func run(_ move: (UnsafeMutableRawPointer, UnsafeRawPointer) -> Void) {
            if let row = unsafe scratch {
                for i in unsafe 0..<extent { unsafe move(row + i &* itemsize, follow(sptr + i &* sstride, ssub, dimension: level)) }
                for i in unsafe 0..<extent { unsafe move(follow(dptr + i &* dstride, dsub, dimension: level), row + i &* itemsize) }
            } else {
                for i in unsafe 0..<extent {
                    unsafe move(follow(dptr + i &* dstride, dsub, dimension: level), follow(sptr + i &* sstride, ssub, dimension: level))
                }
            }
        }
    }

    /// `copy_rec` (for a Fortran walk the table is reversed and there are no suboffsets).
    @usableFromInline
    static func copyRows(level: Int, ndim: Int, itemsize: Int, table: UnsafePointer<Int>,
                         dptr: UnsafeMutableRawPointer, dsub: UnsafeMutablePointer<Int>?,
                         sptr: UnsafeMutableRawPointer, ssub: UnsafeMutablePointer<Int>?,
                         scratch: UnsafeMutableRawPointer?) {
        let extent = unsafe table[level], dstride = unsafe table[ndim + level], sstride = unsafe table[2 * ndim + level]
        if level == ndim - 1 {
            let dIndirect = unsafe dsub.map { unsafe $0[level] >= 0 } ?? false
            let sIndirect = unsafe ssub.map { unsafe $0[level] >= 0 } ?? false
            if !dIndirect && !sIndirect && dstride == itemsize && sstride == itemsize {
                unsafe dptr.copyMemory(from: sptr, byteCount: extent &* itemsize)  // memmove
                return
            }
            // Elements of a machine size move as one load and one store; a memmove per
            // element was about 15 instructions in libc and 5 here for the call, for each of
            // the two passes through scratch (`m[:] = o` of 4096 bytes from a PIL view:
            // 245 081 instructions, the builtin's copy_base 234 686).
            let row = unsafe RowCopy(extent: extent, itemsize: itemsize, level: level, dptr: dptr, dstride: dstride, dsub: dsub,
                              sptr: sptr, sstride: sstride, ssub: ssub, scratch: scratch)
            switch itemsize {
            case 1: unsafe row.run { d, s in unsafe d.storeBytes(of: s.load(as: UInt8.self), as: UInt8.self) }
            case 2: unsafe row.run { d, s in unsafe d.storeBytes(of: s.loadUnaligned(as: UInt16.self), as: UInt16.self) }
            case 4: unsafe row.run { d, s in unsafe d.storeBytes(of: s.loadUnaligned(as: UInt32.self), as: UInt32.self) }
            case 8: unsafe row.run { d, s in unsafe d.storeBytes(of: s.loadUnaligned(as: UInt64.self), as: UInt64.self) }
            default: unsafe row.run { d, s in unsafe d.copyMemory(from: s, byteCount: itemsize) }
            }
            return
        }
        for i in 0..<extent {
            unsafe copyRows(level: level + 1, ndim: ndim, itemsize: itemsize, table: table,
                            dptr: follow(dptr + i &* dstride, dsub, dimension: level), dsub: dsub,
                            sptr: follow(sptr + i &* sstride, ssub, dimension: level), ssub: ssub, scratch: scratch)
        }
    }

    /// Calls `body` with a contiguous layout in `order` (`.fortran`, else C) of `view`'s shape
    /// and itemsize, over `memory`; its arrays live on the stack for the call.
    @inlinable
    public static func withContiguousLayout<R>(like view: BufferDescriptor, at memory: UnsafeMutableRawPointer, order: Order,
                                               _ body: (BufferDescriptor) -> R) -> R {
        let ndim = view.ndim
        return unsafe withUnsafeTemporaryAllocation(of: Int.self, capacity: max(2 * ndim, 1)) { storage in
            let shape = storage.baseAddress!, strides = unsafe shape + ndim
            for i in 0..<ndim { unsafe shape[i] = view.extent(i) }
            unsafe fillContiguousStrides(shape: shape, ndim: ndim, itemsize: view.itemsize,
                                         order: order == .fortran ? .fortran : .c, into: strides)
            let contiguous = unsafe BufferDescriptor(buf: memory, len: view.len, itemsize: view.itemsize, readonly: false,
                                                     ndim: ndim, format: view.format, shape: shape, strides: strides,
                                                     suboffsets: nil)
            return body(contiguous)
        }
    }

    // MARK: Element visitors (tolist_rec, cmp_rec)

    /// Calls `body` with the address of every element of `view`, in C order, following
    /// strides and suboffsets.
    @inlinable
    public static func forEachElement<E: Error>(_ view: BufferDescriptor,
                                                _ body: (UnsafeMutableRawPointer) throws(E) -> Void) throws(E) {
        guard let base = unsafe view.buf else { return }
        if view.ndim == 0 { return try unsafe body(base) }
        try unsafe visit(view, base, dimension: 0, body)
    }

    @inlinable
    static func visit<E: Error>(_ view: BufferDescriptor, _ pointer: UnsafeMutableRawPointer, dimension: Int,
                                _ body: (UnsafeMutableRawPointer) throws(E) -> Void) throws(E) {
        let extent = view.extent(dimension), stride = view.stride(dimension)
        var p = unsafe pointer
        if dimension == view.ndim - 1 {
            for _ in 0..<extent { try unsafe body(follow(p, view.suboffsets, dimension: dimension)); unsafe p = unsafe p + stride }
        } else {
            for _ in 0..<extent {
                try unsafe visit(view, follow(p, view.suboffsets, dimension: dimension), dimension: dimension + 1, body)
                unsafe p = unsafe p + stride
            }
        }
    }

    /// What a walk over two layouts of one shape reads at every level, in one value the
    /// recursion passes on as it is: the shape, each side's strides and suboffsets.
    @unsafe @usableFromInline
    struct PairWalk {
        @usableFromInline let last: Int
        @usableFromInline let itemsize: Int
        @usableFromInline let shape: UnsafePointer<Int>
        @usableFromInline let pStrides: UnsafePointer<Int>
        @usableFromInline let qStrides: UnsafePointer<Int>
        @usableFromInline let pSuboffsets: UnsafeMutablePointer<Int>?
        @usableFromInline let qSuboffsets: UnsafeMutablePointer<Int>?

        @inlinable @inline(__always)
        init(last: Int, itemsize: Int, shape: UnsafePointer<Int>, pStrides: UnsafePointer<Int>, qStrides: UnsafePointer<Int>,
             pSuboffsets: UnsafeMutablePointer<Int>?, qSuboffsets: UnsafeMutablePointer<Int>?) {
            unsafe self.last = last
            unsafe self.itemsize = itemsize
            unsafe self.shape = unsafe shape
            unsafe self.pStrides = unsafe pStrides
            unsafe self.qStrides = unsafe qStrides
            unsafe self.pSuboffsets = unsafe pSuboffsets
            unsafe self.qSuboffsets = unsafe qSuboffsets
        }
    }

    /// Whether every pair of corresponding elements of `a` and `b` (equivalent shapes)
    /// satisfies `equal`, visited in C order, stopping at the first unequal pair or error
    /// (`cmp_rec`, `cmp_base`, `unpack_cmp` for a 0-d pair).
    /// `contiguousRows`, when given, decides an innermost row that is a contiguous run on both
    /// sides (stride == itemsize, no suboffsets) at once, from its two starts and byte count:
    /// for elements that compare by bytes.
    @inlinable
    public static func allPairs<E: Error>(_ a: BufferDescriptor, _ b: BufferDescriptor,
                                          contiguousRows: ((UnsafeRawPointer, UnsafeRawPointer, Int) -> Bool)? = nil,
                                          _ equal: (UnsafeRawPointer, UnsafeRawPointer) throws(E) -> Bool) throws(E) -> Bool {
        guard let p = unsafe a.buf, let q = unsafe b.buf else { return true }
        if a.ndim == 0 { return try unsafe equal(p, q) }
        guard let shape = unsafe a.shape, let ps = unsafe a.strides, let qs = unsafe b.strides else {
            return try unsafe pairsReconstructing(a, b, contiguousRows, equal)
        }
        // One or two dimensions without suboffsets, compared in place (`equal` cannot throw):
        // the loops here, where the caller's element comparison is inlined into them, not the
        // recursive walk calling it per element. `m == o` of two 1-d views of doubles that
        // differ early spent 64 instructions in the walk; a C and a Fortran matrix, 100.
        // A comparison that can throw calls Python per element (the struct module's, about
        // 1400 instructions a pair), and inlined into its caller it cost 25 more per pair.
        if unsafe E.self == Never.self && a.ndim <= 2 && a.suboffsets == nil && b.suboffsets == nil {
            let last = a.ndim &- 1
            let extent = unsafe shape[last], pStride = unsafe ps[last], qStride = unsafe qs[last]
            let rowCount = unsafe last == 0 ? 1 : shape[0]
            let pRow = unsafe last == 0 ? 0 : ps[0], qRow = unsafe last == 0 ? 0 : qs[0]
            let wholeRows = unsafe contiguousRows != nil && pStride == a.itemsize && qStride == a.itemsize
            var p = unsafe p, q = unsafe q, row = 0
            while row < rowCount {
                if wholeRows {
                    if unsafe !contiguousRows.unsafelyUnwrapped(p, q, extent &* pStride) { return false }
                } else if !(try unsafe pairs(p, pStride, q, qStride, count: extent, equal)) {
                    return false
                }
                unsafe p = unsafe p + pRow; unsafe q = unsafe q + qRow; row &+= 1
            }
            return true
        }
        let walk = unsafe PairWalk(last: a.ndim - 1, itemsize: a.itemsize, shape: shape, pStrides: ps, qStrides: qs,
                                   pSuboffsets: a.suboffsets, qSuboffsets: b.suboffsets)
        return try unsafe pairs(p, q, level: 0, walk, contiguousRows, equal)
    }

    /// `allPairs` of layouts without shape or strides arrays, reconstructed once on the stack
    /// (`shape == nil`: one dimension of len/itemsize; `strides == nil`: C-contiguous) so the
    /// walk indexes arrays at every step. A memoryview's layout never comes here (CPython's
    /// `init_shape_strides` fills both), so it is out of line.
    @inlinable @inline(never)
    static func pairsReconstructing<E: Error>(_ a: BufferDescriptor, _ b: BufferDescriptor,
                                              _ contiguousRows: ((UnsafeRawPointer, UnsafeRawPointer, Int) -> Bool)?,
                                              _ equal: (UnsafeRawPointer, UnsafeRawPointer) throws(E) -> Bool) throws(E) -> Bool {
        let ndim = a.ndim
        return try unsafe withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * ndim) { (storage) throws(E) -> Bool in
            let arrays = storage.baseAddress!
            for i in 0..<ndim {
                unsafe arrays[i] = a.extent(i)
                unsafe arrays[ndim + i] = a.stride(i)
                unsafe arrays[2 * ndim + i] = b.stride(i)
            }
            let walk = unsafe PairWalk(last: ndim - 1, itemsize: a.itemsize, shape: arrays, pStrides: arrays + ndim,
                                       qStrides: arrays + 2 * ndim, pSuboffsets: a.suboffsets, qSuboffsets: b.suboffsets)
            return try unsafe pairs(a.buf!, b.buf!, level: 0, walk, contiguousRows, equal)
        }
    }

    /// `cmp_base` of one row without suboffsets: `count` pairs from `p` and `q`.
    @inlinable
    static func pairs<E: Error>(_ p: UnsafeMutableRawPointer, _ pStride: Int, _ q: UnsafeMutableRawPointer, _ qStride: Int,
                                count: Int, _ equal: (UnsafeRawPointer, UnsafeRawPointer) throws(E) -> Bool) throws(E) -> Bool {
        var p = unsafe p, q = unsafe q, i = 0
        while i < count {
            if !(try unsafe equal(p, q)) { return false }
            unsafe p = unsafe p + pStride; unsafe q = unsafe q + qStride; i &+= 1
        }
        return true
    }

    /// `cmp_rec` at `level` (`cmp_base` at the last).
    @inlinable
    static func pairs<E: Error>(_ p: UnsafeMutableRawPointer, _ q: UnsafeMutableRawPointer, level: Int, _ walk: borrowing PairWalk,
                                _ contiguousRows: ((UnsafeRawPointer, UnsafeRawPointer, Int) -> Bool)?,
                                _ equal: (UnsafeRawPointer, UnsafeRawPointer) throws(E) -> Bool) throws(E) -> Bool {
        let extent = unsafe walk.shape[level]
        let ps = unsafe walk.pStrides[level], qs = unsafe walk.qStrides[level]
        let psub = unsafe walk.pSuboffsets, qsub = unsafe walk.qSuboffsets
        var p = unsafe p, q = unsafe q
        var i = 0
        if unsafe level == walk.last {
            if unsafe psub == nil && qsub == nil {
                if let rows = unsafe contiguousRows, unsafe ps == walk.itemsize, unsafe qs == walk.itemsize {
                    return unsafe rows(p, q, extent &* ps)
                }
                return try unsafe pairs(p, ps, q, qs, count: extent, equal)
            } else {
                while i < extent {
                    if !(try unsafe equal(follow(p, psub, dimension: level), follow(q, qsub, dimension: level))) { return false }
                    unsafe p = unsafe p + ps; unsafe q = unsafe q + qs; i &+= 1
                }
            }
            return true
        }
        while i < extent {
            if !(try unsafe pairs(follow(p, psub, dimension: level), follow(q, qsub, dimension: level),
                                  level: level &+ 1, walk, contiguousRows, equal)) { return false }
            unsafe p = unsafe p + ps; unsafe q = unsafe q + qs; i &+= 1
        }
        return true
    }
}
