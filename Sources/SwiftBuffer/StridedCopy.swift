/// Moving elements between an arbitrary layout (any strides, negative included, PIL-style
/// suboffsets) and contiguous memory. The one walker behind `tobytes`, slice assignment,
/// `py_buffer_to_contiguous` and every copy between layouts.
///
/// The walk visits dimensions from outermost to innermost in the chosen order; the innermost
/// dimension becomes one `memcpy` when its elements are adjacent, which is the whole buffer for
/// any C-contiguous source.
public enum StridedCopy {
    /// The address of element `index` along dimension `dim` below `pointer`, following
    /// suboffsets as CPython's `ADJUST_PTR` does.
    @inlinable @inline(__always)
    static func step(_ pointer: UnsafeMutableRawPointer, _ view: BufferDescriptor, dim: Int, index: Int) -> UnsafeMutableRawPointer {
        let p = unsafe pointer + index &* view.stride(dim)
        if let sub = view.suboffsets, unsafe sub[dim] >= 0 {
            // safe because: a suboffset says the bytes here are a pointer (PEP 3118).
            return unsafe p.load(as: UnsafeMutableRawPointer.self) + sub[dim]
        }
        return unsafe p
    }

    /// Copies every element of `source` into `destination`, contiguous in `order`
    /// (`.any` means Fortran when `source` is Fortran-contiguous and not C-contiguous, else C,
    /// as `tobytes('A')` and `PyBuffer_ToContiguous` decide).
    public static func gather(_ source: BufferDescriptor, into destination: UnsafeMutableRawPointer, order: Layout.Order) {
        guard source.len > 0, let base = source.buf else { return }
        let resolved = resolve(order, for: source)
        if Layout.isContiguous(source, order: resolved) || source.ndim == 0 {
            unsafe destination.copyMemory(from: base, byteCount: source.len)
            return
        }
        if resolved == .fortran && source.suboffsets != nil {
            unsafe throughCOrder(source) { temporary, cOrder in
                unsafe gather(source, into: temporary, order: .c)
                unsafe gather(cOrder, into: destination, order: .fortran)
            }
            return
        }
        var out = unsafe destination
        unsafe walk(source, base, level: 0, fortran: resolved == .fortran) { element, run in
            unsafe out.copyMemory(from: element, byteCount: run)
            out = unsafe out + run
        }
    }

    /// Copies contiguous data in `order` into the elements of `destination`.
    public static func scatter(from source: UnsafeRawPointer, order: Layout.Order, into destination: BufferDescriptor) {
        guard destination.len > 0, let base = destination.buf else { return }
        let resolved = resolve(order, for: destination)
        if Layout.isContiguous(destination, order: resolved) || destination.ndim == 0 {
            unsafe base.copyMemory(from: source, byteCount: destination.len)
            return
        }
        if resolved == .fortran && destination.suboffsets != nil {
            unsafe throughCOrder(destination) { temporary, cOrder in
                unsafe scatter(from: source, order: .fortran, into: cOrder)
                unsafe scatter(from: temporary, order: .c, into: destination)
            }
            return
        }
        var input = unsafe source
        unsafe walk(destination, base, level: 0, fortran: resolved == .fortran) { element, run in
            unsafe element.copyMemory(from: input, byteCount: run)
            input = unsafe input + run
        }
    }

    /// Copies between two layouts of the same shape and itemsize, element by element, in C
    /// order. Safe for overlapping memory: it goes through a temporary when the spans may overlap.
    public static func copy(from source: BufferDescriptor, to destination: BufferDescriptor) {
        guard source.len > 0 else { return }
        let temporary = UnsafeMutableRawPointer.allocate(byteCount: source.len, alignment: 16)
        defer { unsafe temporary.deallocate() }
        unsafe gather(source, into: temporary, order: .c)
        unsafe scatter(from: temporary, order: .c, into: destination)
    }

    /// Suboffsets must be followed in dimension order (dereference along dimension 0 before
    /// adding dimension 1's stride), which a walk in Fortran index order cannot do. Fortran-order
    /// copies of such layouts go through a C-contiguous temporary of the same shape instead, as
    /// CPython's `PyBuffer_ToContiguous` goes through `copy_buffer`.
    static func throughCOrder(_ view: BufferDescriptor, _ body: (UnsafeMutableRawPointer, BufferDescriptor) -> Void) {
        let temporary = UnsafeMutableRawPointer.allocate(byteCount: view.len, alignment: 16)
        let strides = UnsafeMutablePointer<Int>.allocate(capacity: view.ndim)
        defer {
            unsafe temporary.deallocate()
            unsafe strides.deallocate()
        }
        var step = view.itemsize
        for i in stride(from: view.ndim - 1, through: 0, by: -1) {
            unsafe strides[i] = step
            step &*= view.extent(i)
        }
        var cOrder = unsafe view
        unsafe cOrder.buf = temporary
        unsafe cOrder.strides = strides
        cOrder.suboffsets = nil
        unsafe body(temporary, cOrder)
    }

    @inlinable
    static func resolve(_ order: Layout.Order, for view: BufferDescriptor) -> Layout.Order {
        switch order {
        case .c, .fortran: return order
        case .any: return Layout.isContiguous(view, order: .fortran) && !Layout.isContiguous(view, order: .c) ? .fortran : .c
        }
    }

    /// Visits runs of adjacent elements in C (or Fortran) index order; `visit` gets the address
    /// of each run and its byte length.
    static func walk(_ view: BufferDescriptor, _ pointer: UnsafeMutableRawPointer, level: Int, fortran: Bool,
                     _ visit: (UnsafeMutableRawPointer, Int) -> Void) {
        let dim = fortran ? view.ndim - 1 - level : level
        let extent = view.extent(dim)
        if level == view.ndim - 1 {
            let stride = view.stride(dim)
            let indirect = view.suboffsets.map { unsafe $0[dim] >= 0 } ?? false
            if stride == view.itemsize && !indirect {
                unsafe visit(pointer, extent &* view.itemsize)
            } else {
                for i in 0..<extent { unsafe visit(step(pointer, view, dim: dim, index: i), view.itemsize) }
            }
            return
        }
        for i in 0..<extent {
            unsafe walk(view, step(pointer, view, dim: dim, index: i), level: level + 1, fortran: fortran, visit)
        }
    }
}
