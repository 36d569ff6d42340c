// MARK: - Slicing (init_slice, init_len; the arithmetic is Layout's)

extension MemoryView {
    /// `self[start:stop:step]` on dimension `dimension` of a view's own layout: `init_slice`
    /// (`Layout.applySlice`) with the bounds unpacked by `PySlice_Unpack`, then `init_len`.
    @inlinable @inline(__always)
    public static func slice(_ layout: inout BufferDescriptor, dimension: Int, start: Int, stop: Int, step: Int) {
        var buf = unsafe layout.buf, len = layout.len
        unsafe slice(buf: &buf, len: &len, itemsize: layout.itemsize, ndim: layout.ndim, shape: layout.shape!,
                     strides: layout.strides!, suboffsets: layout.suboffsets,
                     dimension: dimension, start: start, stop: stop, step: step)
        unsafe layout.buf = unsafe buf
        layout.len = len
    }

    /// `slice` on a layout kept in the caller's storage (a view object's own fields): `buf`,
    /// `len` and the arrays are updated in place, with no descriptor copied in and out (that
    /// copy, through memory, was ~60 of the ~200 instructions the bridge spent on `m[1:10]`).
    @inlinable @inline(__always)
    public static func slice(buf: inout UnsafeMutableRawPointer?, len: inout Int, itemsize: Int, ndim: Int,
                             shape: UnsafeMutablePointer<Int>, strides: UnsafeMutablePointer<Int>,
                             suboffsets: UnsafeMutablePointer<Int>?,
                             dimension: Int, start: Int, stop: Int, step: Int) {
        let bounds = unsafe Layout.Slice(start: start, stop: stop, step: step, count: shape[dimension])
        unsafe buf = unsafe Layout.applySlice(bounds, dimension: dimension, buf: buf, shape: shape, strides: strides,
                                       suboffsets: suboffsets)
        len = unsafe byteLength(shape: shape, ndim: ndim, itemsize: itemsize)
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
