// MARK: - Shape and size validation (NumPy's rules for new arrays)
//
// Every Swift-owned layout passes here before anything is allocated: at most 64 dimensions
// (`NPY_MAXDIMS`, `PyBUF_MAX_NDIM`), no negative extent, and a byte count that fits in
// `Py_ssize_t` with the zero extents left out of the product, as `PyArray_NewFromDescr` checks
// it: a shape such as (2**62, 2**62, 0) describes no bytes but no consumer can take it
// (`np.asarray` and `tolist` multiply the other extents), so it is refused here. Every size
// error is a ValueError naming the shape and the format; an allocation that fails is a
// MemoryError saying how many bytes for which shape, worded as NumPy's `_ArrayMemoryError`.

extension SwiftMemory {
    /// The most dimensions a Swift-owned layout may have: memoryview's limit (`PyBUF_MAX_NDIM`),
    /// which is also NumPy's (`NPY_MAXDIMS`), so that every consumer takes every Buffer.
    public static let maxDimensions = Layout.maxDimensions

    /// Refuses a shape of `count` dimensions beyond the limit; `atLeast` when `count` is only
    /// what was read before giving up (an iterator that would not stop).
    public static func checkDimensions(_ count: Int, atLeast: Bool = false) throws(SwiftBufferError) {
        if count > maxDimensions {
            throw .valueError("swiftbuf.Buffer: a shape has at most \(maxDimensions) dimensions, this one has "
                              + (atLeast ? "more" : "\(count)"))
        }
    }

    /// `product(shape) * itemsize` for new memory, by NumPy's rules (see the top of this file).
    public static func validatedByteCount(shape: some Collection<Int>, format: some Collection<UInt8>,
                                          itemsize: Int) throws(SwiftBufferError) -> Int {
        try checkDimensions(shape.count)
        // Negative extents first, wherever they are, as NumPy reports them.
        if shape.contains(where: { $0 < 0 }) {
            throw .valueError("swiftbuf.Buffer: negative dimensions are not allowed: shape \(describe(Array(shape))), "
                              + "format \(SwiftBufferError.pythonRepr(format))")
        }
        var product = itemsize
        var empty = false
        for extent in shape where extent != 1 {
            if extent == 0 { empty = true; continue }
            let (p, overflow) = product.multipliedReportingOverflow(by: extent)
            if overflow { throw tooLarge(shape: Array(shape), format: Array(format)) }
            product = p
        }
        return empty ? 0 : product
    }

    static func tooLarge(shape: [Int], format: [UInt8]) -> SwiftBufferError {
        .valueError("swiftbuf.Buffer: shape \(describe(shape)) of format \(SwiftBufferError.pythonRepr(format)) is too large: "
                    + "product(shape) * itemsize is more than \(Int.max) bytes")
    }

    /// The ValueError for an extent the bridge could not read as a `Py_ssize_t`; `shape` is the
    /// Python repr of the whole shape.
    public static func extentOverflow(shape: String, format: [UInt8]) -> SwiftBufferError {
        .valueError("swiftbuf.Buffer: shape \(shape) of format \(SwiftBufferError.pythonRepr(format)) is too large: "
                    + "an extent does not fit in Py_ssize_t")
    }

    /// `count` bytes from `allocator`, or a MemoryError that says how many for which layout.
    static func allocate(_ count: Int, zeroed: Bool, shape: some Collection<Int>, format: some Collection<UInt8>,
                         allocator: RawAllocator) throws(SwiftBufferError) -> UnsafeMutableRawPointer {
        guard let p = unsafe allocator.allocate(max(count, 1), zeroed) else {
            throw .memoryError("Unable to allocate \(sizeDescription(count)) for a swiftbuf.Buffer with shape "
                               + "\(describe(Array(shape))) and format \(SwiftBufferError.pythonRepr(format))")
        }
        return unsafe p
    }

    /// A byte count as NumPy's `_ArrayMemoryError._size_to_string` writes it: `"12 bytes"`,
    /// `"1.50 KiB"`, `"4.00 EiB"` (three significant digits, `'{:#.3g}'`, below 1000 units;
    /// `'{:#.0f}'` from 1000 to 1023). Computed exactly in integers, rounding half to even as
    /// Python's formatting of the (exact) quotient does.
    public static func sizeDescription(_ byteCount: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        // Python divides the int exactly-rounded to a double; Double(n) rounds n the same way.
        let n = UInt64(Double(max(byteCount, 0)))
        let bitLength = 64 - n.leadingZeroBitCount
        var unit = max(bitLength - 1, 1) / 10
        if unit == 0 { return "\(n) bytes" }
        // round(n / 1024**unit) == 1024: the next unit up.
        if rounded(n, times: 1, shift: 10 * unit) == 1024 { unit += 1 }
        let shift = 10 * unit
        let whole = rounded(n, times: 1, shift: shift)
        if whole >= 1000 { return "\(whole). \(units[unit])" }
        // Three significant digits: 2, 1 or 0 decimals, one fewer when rounding reaches 10 or 100.
        var decimals = n >> shift >= 100 ? 0 : n >> shift >= 10 ? 1 : 2
        var digits = rounded(n, times: decimals == 2 ? 100 : decimals == 1 ? 10 : 1, shift: shift)
        if digits >= 1000 && decimals > 0 {
            decimals -= 1
            digits = rounded(n, times: decimals == 1 ? 10 : 1, shift: shift)
        }
        switch decimals {
        case 2: return "\(digits / 100).\(digits % 100 < 10 ? "0" : "")\(digits % 100) \(units[unit])"
        case 1: return "\(digits / 10).\(digits % 10) \(units[unit])"
        default: return "\(digits). \(units[unit])"
        }
    }

    /// `round(n * times / 2**shift)`, half to even, without overflow (`times <= 100`).
    private static func rounded(_ n: UInt64, times: UInt64, shift: Int) -> UInt64 {
        let wide = n.multipliedFullWidth(by: times)
        let divisor = UInt64(1) << UInt64(shift)
        // safe because: n < 2**64, times <= 100 and shift >= 10, so the quotient fits in 64 bits.
        let (q, r) = divisor.dividingFullWidth(wide)
        let half = divisor / 2
        if r > half || (r == half && q & 1 == 1) { return q + 1 }
        return q
    }
}
