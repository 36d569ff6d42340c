// MARK: - Slicing (init_slice, PySlice_AdjustIndices)

extension MemoryView {
    /// `PySlice_AdjustIndices`: clamps `start` and `stop` (already unpacked from a slice
    /// object, so within `±Int.max`) to a dimension of `length` items and returns how many
    /// items the slice selects.
    @inlinable
    public static func adjustSlice(length: Int, start: inout Int, stop: inout Int, step: Int) -> Int {
        // safe because: start, stop >= -Int.max and 0 <= length <= Int.max, so the sums fit.
        if start < 0 {
            start &+= length
            if start < 0 { start = step < 0 ? -1 : 0 }
        } else if start >= length {
            start = step < 0 ? length - 1 : length
        }
        if stop < 0 {
            stop &+= length
            if stop < 0 { stop = step < 0 ? -1 : 0 }
        } else if stop >= length {
            stop = step < 0 ? length - 1 : length
        }
        if step < 0 {
            if stop < start { return (start - stop - 1) / (-step) + 1 }
        } else if start < stop {
            return (stop - start - 1) / step + 1
        }
        return 0
    }

    /// Narrows dimension `dimension` of a view's own layout to `start:stop:step`
    /// (`init_slice`): the first selected item becomes the base, unless an earlier dimension
    /// is indirect, in which case the offset moves into that dimension's suboffset, since
    /// `buf` then addresses pointers, not items. Then `len` is recomputed (`init_len`).
    @inlinable
    public static func slice(_ layout: inout BufferDescriptor, dimension: Int, start: Int, stop: Int, step: Int) {
        layout.buf = unsafe slice(buf: layout.buf, shape: layout.shape!, strides: layout.strides!, suboffsets: layout.suboffsets,
                                  dimension: dimension, start: start, stop: stop, step: step)
        layout.len = byteLength(of: layout)
    }

    /// `init_slice` on the arrays of a view (which it owns): returns the new `buf`.
    @inlinable @inline(__always)
    public static func slice(buf: UnsafeMutableRawPointer?, shape: UnsafeMutablePointer<Int>, strides: UnsafeMutablePointer<Int>,
                             suboffsets: UnsafeMutablePointer<Int>?, dimension: Int,
                             start: Int, stop: Int, step: Int) -> UnsafeMutableRawPointer? {
        var start = start, stop = stop
        let count = unsafe adjustSlice(length: shape[dimension], start: &start, stop: &stop, step: step)
        // Wrapping, as in C: the offset of an empty slice may point one past either end, and a
        // huge step on a one-item slice yields a stride that is never used to address memory.
        let offset = unsafe strides[dimension] &* start
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
            result = unsafe buf.map { unsafe $0 + offset }
        }
        unsafe shape[dimension] = count
        unsafe strides[dimension] = strides[dimension] &* step
        return unsafe result
    }

    /// The indices `index(value, start, stop)` searches in a dimension of `length` items,
    /// clamped like a slice but without a step (`memoryview_index_impl` of CPython 3.14).
    @inlinable
    public static func searchRange(start: Int, stop: Int, length: Int) -> Range<Int> {
        // safe because: start, stop >= -Int.max (they come from _PyEval_SliceIndex).
        let lower = start < 0 ? max(start &+ length, 0) : start
        let upper = min(stop < 0 ? max(stop &+ length, 0) : stop, length)
        return lower < upper ? lower..<upper : lower..<lower
    }
}
