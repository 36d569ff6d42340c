/// Moving elements between an arbitrary layout (any strides, negative included, PIL-style
/// suboffsets) and contiguous memory: `tobytes`, `PyBuffer_ToContiguous`,
/// `PyBuffer_FromContiguous`, `py_buffer_to_contiguous`. Each is one `Layout.copy` between
/// the layout and a contiguous layout of its shape; neither allocates.
public enum StridedCopy {
    /// Copies every element of `source` into `destination`, contiguous in `order`
    /// (`.any` means Fortran when `source` is Fortran-contiguous and not C-contiguous, else C,
    /// as `tobytes('A')` and `PyBuffer_ToContiguous` decide).
    public static func gather(_ source: BufferDescriptor, into destination: UnsafeMutableRawPointer, order: Layout.Order) {
        guard source.len > 0, let base = unsafe source.buf else { return }
        let resolved = resolve(order, for: source)
        if Layout.isContiguous(source, order: resolved) || source.ndim == 0 {
            unsafe destination.copyMemory(from: base, byteCount: source.len)
            return
        }
        unsafe Layout.withContiguousLayout(like: source, at: destination, order: resolved) { contiguous in
            unsafe Layout.copy(from: source, to: contiguous, scratch: nil, order: walkOrder(resolved, source))
        }
    }

    /// Copies contiguous data in `order` into the elements of `destination`.
    public static func scatter(from source: UnsafeRawPointer, order: Layout.Order, into destination: BufferDescriptor) {
        guard destination.len > 0, let base = unsafe destination.buf else { return }
        let resolved = resolve(order, for: destination)
        if Layout.isContiguous(destination, order: resolved) || destination.ndim == 0 {
            unsafe base.copyMemory(from: source, byteCount: destination.len)
            return
        }
        unsafe Layout.withContiguousLayout(like: destination, at: UnsafeMutableRawPointer(mutating: source), order: resolved) { contiguous in
            unsafe Layout.copy(from: contiguous, to: destination, scratch: nil, order: walkOrder(resolved, destination))
        }
    }

    /// A Fortran-order copy walks in Fortran index order, so the contiguous side moves in runs,
    /// unless the other side has suboffsets, which must be followed in dimension order: then
    /// the walk is in C order and the contiguous side is written element by element (CPython's
    /// `PyBuffer_ToContiguous` goes through a C-ordered temporary there instead; the result is
    /// the same without allocating).
    @inlinable
    static func walkOrder(_ resolved: Layout.Order, _ view: BufferDescriptor) -> Layout.Order {
        unsafe resolved == .fortran && view.suboffsets == nil ? .fortran : .c
    }

    @inlinable
    static func resolve(_ order: Layout.Order, for view: BufferDescriptor) -> Layout.Order {
        switch order {
        case .c, .fortran: return order
        case .any: return Layout.isContiguous(view, order: .fortran) && !Layout.isContiguous(view, order: .c) ? .fortran : .c
        }
    }
}
