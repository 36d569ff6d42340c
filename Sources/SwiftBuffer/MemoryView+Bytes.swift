// MARK: - tobytes (memoryview_tobytes_impl, PyBuffer_ToContiguous)

extension MemoryView {
    /// The `order` argument of `tobytes`: exactly `"C"`, `"F"` or `"A"` (nil means `"C"`).
    @inlinable
    public static func bytesOrder(_ order: UnsafeBufferPointer<UInt8>?) throws(SwiftBufferError) -> Layout.Order {
        guard let order = unsafe order else { return .c }
        if order.count == 1, let parsed = unsafe Layout.Order(order[0]) { return parsed }
        throw .valueError("order must be 'C', 'F' or 'A'")
    }

    /// Copies the view's `layout.len` bytes into `destination`, contiguous in `order`; `.any`
    /// keeps the memory order of a contiguous view and uses C order otherwise.
    @inlinable
    public func copyBytes(into destination: UnsafeMutableRawPointer, order: Layout.Order) {
        unsafe StridedCopy.gather(layout, into: destination, order: order)
    }
}

// MARK: - hex (_Py_strhex_with_sep)

extension MemoryView {
    /// The length of the hex string of `byteCount` bytes with a separator every
    /// `bytesPerSeparator` bytes (`0`: none), or MemoryError when it would not fit.
    @inlinable
    public static func hexLength(byteCount: Int, bytesPerSeparator: Int32) throws(SwiftBufferError) -> Int {
        var separators = 0
        if bytesPerSeparator != 0 && byteCount > 0 {
            separators = (byteCount - 1) / Int(bytesPerSeparator.magnitude)
        }
        if byteCount >= Int.max / 2 - separators { throw .memoryError("") }
        return separators + byteCount * 2
    }

    /// Writes the lowercase hex digits of `bytes` into `destination`
    /// (`hexLength(byteCount:bytesPerSeparator:)` bytes). With a separator, groups of
    /// `|bytesPerSeparator|` bytes are counted from the right when it is positive, from the
    /// left when negative; a group as long as the input means no separator at all.
    @inlinable
    public static func writeHex(_ bytes: UnsafeRawBufferPointer, separator: UInt8, bytesPerSeparator: Int32,
                                into destination: UnsafeMutablePointer<UInt8>) {
        let n = bytes.count
        guard n > 0, let source = bytes.baseAddress else { return }
        let group = Int(bytesPerSeparator.magnitude)
        if bytesPerSeparator == 0 || group >= n {
            unsafe writeHexDigits(source, count: n, into: destination)
            return
        }
        let chunks = (n - 1) / group
        if bytesPerSeparator < 0 {
            // Full groups from the left, the remainder last.
            var i = 0, j = 0
            for _ in 0..<chunks {
                unsafe writeHexDigits(source + i, count: group, into: destination + j)
                i += group; j += 2 * group
                unsafe destination[j] = separator
                j += 1
            }
            unsafe writeHexDigits(source + i, count: n - i, into: destination + j)
        } else {
            // Full groups from the right, the remainder first.
            let head = n - chunks * group
            unsafe writeHexDigits(source, count: head, into: destination)
            var i = head, j = 2 * head
            for _ in 0..<chunks {
                unsafe destination[j] = separator
                j += 1
                unsafe writeHexDigits(source + i, count: group, into: destination + j)
                i += group; j += 2 * group
            }
        }
    }

    /// Two lowercase hex digits per byte, one 16-bit table lookup each.
    @inlinable @inline(__always)
    static func writeHexDigits(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<UInt8>) {
        let table = unsafe hexPairs
        let out = UnsafeMutableRawPointer(destination)
        for k in 0..<count {
            // safe because: the table has 256 entries and a byte indexes it.
            unsafe out.storeBytes(of: table[Int(source.load(fromByteOffset: k, as: UInt8.self))], toByteOffset: 2 * k, as: UInt16.self)
        }
    }

    /// The two ASCII digits of every byte value, in memory order, as one UInt16 each.
    @usableFromInline nonisolated(unsafe) static let hexPairs: UnsafeMutablePointer<UInt16> = {
        let digits = Array("0123456789abcdef".utf8)
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        for b in 0..<256 {
            let pair: (UInt8, UInt8) = (digits[b >> 4], digits[b & 15])
            unsafe table[b] = unsafe withUnsafeBytes(of: pair) { unsafe $0.load(as: UInt16.self) }
        }
        return unsafe table
    }()
}

// MARK: - Hash (memory_hash)

extension MemoryView {
    /// Only read-only views of a byte format are hashable; their hash is that of their bytes.
    @inlinable
    public func checkHashable() throws(SwiftBufferError) {
        if !layout.readonly { throw .valueError("cannot hash writable memoryview object") }
        guard let code = nativeCode, code.isByte else {
            throw .valueError("memoryview: hashing is restricted to formats 'B', 'b' or 'c'")
        }
    }
}
