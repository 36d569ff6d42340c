// MARK: - Slicing (init_slice, init_len; the arithmetic is Layout's)

extension MemoryView {
    /// `self[start:stop:step]` on dimension `dimension` of a view's own layout: `init_slice`
    /// (`Layout.applySlice`) with the bounds unpacked by `PySlice_Unpack`, then `init_len`.
    @inlinable @inline(__always)
    public static func slice(_ layout: inout BufferDescriptor, dimension: Int, start: Int, stop: Int, step: Int) {
        let bounds = unsafe Layout.Slice(start: start, stop: stop, step: step, count: layout.shape![dimension])
        Layout.applySlice(bounds, dimension: dimension, to: &layout)
        layout.len = byteLength(of: layout)
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
