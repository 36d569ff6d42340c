// MARK: - Comparison (memory_richcompare, cmp_rec, cmp_base, unpack_cmp)
//
// Two buffers are equal when their shapes are equivalent and their elements are equal as
// values: unpacked by format, so a NaN never equals itself and `b` -1 differs from `B` 255.
// Same native code on both sides: the codec compares in place. Anything else goes through
// the struct module, whose unpacked values the bridge compares; that path uses the kernel's
// `Layout.allPairs` with the bridge's element comparison.

extension MemoryView {
    /// Whether `a` and `b` (equivalent shapes, both with the native element `code`) hold
    /// equal values. For codes that compare by bytes, two C-contiguous buffers compare whole,
    /// and otherwise innermost rows that are contiguous runs on both sides compare a word at a
    /// time; contiguity is scanned only when the innermost strides allow it, so a comparison
    /// that stops at its first elements costs what CPython's `cmp_rec` does.
    @_transparent
    public static func elementsEqual(_ a: BufferDescriptor, _ b: BufferDescriptor, code: ElementCodec.Code) -> Bool {
        if a.ndim == 0 {
            guard let p = unsafe a.buf, let q = unsafe b.buf else { return true }
            return unsafe ElementCodec.equal(code, p, q)
        }
        let rows: (UnsafeRawPointer, UnsafeRawPointer, Int) -> Bool = { p, q, count in unsafe bytesEqual(p, q, count: count) }
        // Two C-contiguous N-d buffers are one run: compare them whole rather than row by row.
        // Scanned only when both innermost strides already say so, which costs nothing on the
        // layouts whose first elements differ (a C and a Fortran array).
        if unsafe a.ndim > 1 && ElementCodec.comparesByBytes(code) && a.suboffsets == nil && b.suboffsets == nil
            && a.stride(a.ndim - 1) == a.itemsize && b.stride(b.ndim - 1) == b.itemsize
            && Layout.isContiguous(a, order: .c) && Layout.isContiguous(b, order: .c) {
            guard a.len > 0, let p = unsafe a.buf, let q = unsafe b.buf else { return true }
            return unsafe bytesEqual(p, q, count: a.len)
        }
        switch code {
        case .double: return unsafe Layout.allPairs(a, b) { p, q in unsafe p.loadUnaligned(as: Double.self) == q.loadUnaligned(as: Double.self) }
        case .float: return unsafe Layout.allPairs(a, b) { p, q in unsafe p.loadUnaligned(as: Float.self) == q.loadUnaligned(as: Float.self) }
        default:
            switch code.size {
            case 1: return unsafe Layout.allPairs(a, b, contiguousRows: rows) { p, q in unsafe p.load(as: UInt8.self) == q.load(as: UInt8.self) }
            case 2: return unsafe Layout.allPairs(a, b, contiguousRows: rows) { p, q in unsafe p.loadUnaligned(as: UInt16.self) == q.loadUnaligned(as: UInt16.self) }
            case 4: return unsafe Layout.allPairs(a, b, contiguousRows: rows) { p, q in unsafe p.loadUnaligned(as: UInt32.self) == q.loadUnaligned(as: UInt32.self) }
            default: return unsafe Layout.allPairs(a, b, contiguousRows: rows) { p, q in unsafe p.loadUnaligned(as: UInt64.self) == q.loadUnaligned(as: UInt64.self) }
            }
        }
    }

    /// `memcmp(p, q, count) == 0`, eight bytes at a time.
    @inlinable
    static func bytesEqual(_ p: UnsafeRawPointer, _ q: UnsafeRawPointer, count: Int) -> Bool {
        var i = 0
        while i + 32 <= count {
            let d = unsafe (p.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ q.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                | (p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self) ^ q.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                | (p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self) ^ q.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                | (p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self) ^ q.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
            if d != 0 { return false }
            i += 32
        }
        while i + 8 <= count {
            if unsafe p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != q.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < count {
            if unsafe p.load(fromByteOffset: i, as: UInt8.self) != q.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }
}
