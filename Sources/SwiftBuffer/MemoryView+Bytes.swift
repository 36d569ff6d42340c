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
    /// A view contiguous in `order` (by the flags `init_flags` computed, which answer what
    /// `PyBuffer_IsContiguous` would for every non-empty view) is one copy, with no scan.
    @inlinable
    public func copyBytes(into destination: UnsafeMutableRawPointer, order: Layout.Order) {
        let contiguous: Bool
        switch order {
        case .c: contiguous = isCContiguous
        case .fortran: contiguous = isFortranContiguous
        case .any: contiguous = isContiguous
        }
        if contiguous {
            if layout.len > 0, let base = unsafe layout.buf { unsafe destination.copyMemory(from: base, byteCount: layout.len) }
            return
        }
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
        if byteCount >= Int.max / 2 - separators { throw .noMemory }
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
        // All the digits first, with the fast writer, ending where the string ends; then the
        // groups move down into place left to right, a separator after each, and the last group
        // is already where it belongs. A group never moves past the next one's start, so each
        // separator lands on digits already moved. (Writing each group with its own call cost
        // 49 instructions a byte for hex(':') under callgrind, CPython's loop 34.)
        let chunks = (n - 1) / group
        let digits = unsafe UnsafeMutableRawPointer(destination + chunks)
        unsafe writeHexDigits(source, count: n, into: destination + chunks)
        // Counting from the right, the first group holds the remainder; from the left, the last.
        var length = 2 * (bytesPerSeparator > 0 ? n - chunks * group : group)
        var from = UnsafeRawPointer(digits), to = UnsafeMutableRawPointer(destination)
        if group == 1 {  // hex(':'), the common form: one pair and one separator a step
            for _ in 0..<chunks {
                unsafe to.storeBytes(of: from.loadUnaligned(as: UInt16.self), as: UInt16.self)
                unsafe to.storeBytes(of: separator, toByteOffset: 2, as: UInt8.self)
                unsafe to += 3
                unsafe from += 2
            }
            return
        }
        for _ in 0..<chunks {
            unsafe moveDown(from, to, byteCount: length)
            unsafe to += length
            unsafe from += length
            unsafe to.storeBytes(of: separator, as: UInt8.self)
            unsafe to += 1
            length = 2 * group
        }
    }

    /// Copies `byteCount` (even) bytes from `source` down to `destination` (at or below it,
    /// overlapping allowed): up to 16 bytes with loads before stores, longer ones with memmove.
    @inlinable @inline(__always)
    static func moveDown(_ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount > 16 {
            unsafe destination.copyMemory(from: source, byteCount: byteCount)
            return
        }
        // Two word moves that may overlap cover any length from one word to two, both loaded
        // before either is stored (a loop here, vectorised with its alias checks, cost ~50
        // instructions a group).
        if byteCount >= 8 {
            let head = unsafe source.loadUnaligned(as: UInt64.self)
            let tail = unsafe source.loadUnaligned(fromByteOffset: byteCount - 8, as: UInt64.self)
            unsafe destination.storeBytes(of: head, as: UInt64.self)
            unsafe destination.storeBytes(of: tail, toByteOffset: byteCount - 8, as: UInt64.self)
        } else if byteCount >= 4 {
            let head = unsafe source.loadUnaligned(as: UInt32.self)
            let tail = unsafe source.loadUnaligned(fromByteOffset: byteCount - 4, as: UInt32.self)
            unsafe destination.storeBytes(of: head, as: UInt32.self)
            unsafe destination.storeBytes(of: tail, toByteOffset: byteCount - 4, as: UInt32.self)
        } else {
            unsafe destination.storeBytes(of: source.loadUnaligned(as: UInt16.self), as: UInt16.self)
        }
    }

    /// Two lowercase hex digits per byte, without a table or a branch per byte: eight bytes
    /// per iteration as two independent 64-bit word computations (`hexDigits(ofFourBytes:)`),
    /// which the CPU overlaps. (Swift's SIMD types were tried: used across modules they were
    /// not specialised, and ran 25 times slower.)
    @inlinable @inline(__always)
    static func writeHexDigits(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<UInt8>) {
        let out = UnsafeMutableRawPointer(destination)
        var k = 0
        while k + 8 <= count {
            let word = unsafe source.loadUnaligned(fromByteOffset: k, as: UInt64.self).littleEndian
            let first = hexDigits(ofFourBytes: word & 0xFFFF_FFFF), second = hexDigits(ofFourBytes: word >> 32)
            unsafe out.storeBytes(of: first.littleEndian, toByteOffset: 2 * k, as: UInt64.self)
            unsafe out.storeBytes(of: second.littleEndian, toByteOffset: 2 * k + 8, as: UInt64.self)
            k += 8
        }
        // The last 0-7 bytes one by one: hex(sep) writes each group with a call here, so with
        // groups of 1-7 bytes this loop is the whole conversion (a per-byte word assembled and
        // stored a character at a time made hex(':') of 4 KiB 4.8x slower than the builtin).
        // Each byte's two digits are copied from a table, as CPython's loop reads its digits
        // from one (computed, they were 19 instructions a byte against CPython's 10, and
        // `m.hex()` of 3 bytes 1.10x the builtin's).
        let pairs = unsafe UnsafeRawPointer(hexPairs.utf8Start)
        while k < count {
            let byte = Int(unsafe source.load(fromByteOffset: k, as: UInt8.self))
            unsafe out.storeBytes(of: pairs.loadUnaligned(fromByteOffset: 2 &* byte, as: UInt16.self), toByteOffset: 2 &* k,
                                  as: UInt16.self)
            k &+= 1
        }
    }

    /// The two lowercase hex digits of every byte value, in order ("00", "01", ... "ff").
    @inlinable
    static var hexPairs: StaticString {
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
    }

    /// The eight ASCII hex digits of the four bytes in the low half of `word` (byte 0 lowest),
    /// high nibble first, as a little-endian word of characters.
    @inlinable @inline(__always)
    static func hexDigits(ofFourBytes word: UInt64) -> UInt64 {
        // Spread each byte to its own 16-bit lane, then its high nibble to the lane's low byte
        // and its low nibble to the lane's high byte (the character order in memory).
        var lanes = (word | (word << 16)) & 0x0000_FFFF_0000_FFFF
        lanes = (lanes | (lanes << 8)) & 0x00FF_00FF_00FF_00FF
        let nibbles = ((lanes >> 4) & 0x000F_000F_000F_000F) | ((lanes & 0x000F_000F_000F_000F) << 8)
        // '0' + n, and 'a' - '0' - 10 more where n > 9 (n + 6 carries into bit 4 exactly then;
        // no byte carries into the next, since n + 6 < 256).
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }
}

// MARK: - Hash (memory_hash)

extension MemoryView {
    /// Only read-only views of a byte format are hashable; their hash is that of their bytes.
    @inlinable
    public func checkHashable() throws(SwiftBufferError) {
        if let refusal = unsafe Self.hashRefusal(readonly: layout.readonly, formatCharacter: Self.formatCharacter(of: layout.format)) {
            throw refusal.error
        }
    }

    /// Why a view that is `readonly` or not, of the format whose one character (after an
    /// optional `@`) is `formatCharacter` (nil for a longer format), cannot be hashed, in
    /// `memory_hash`'s order of checks; nil when it can. A message fixed at compile time, so a
    /// slot that knows both facts refuses without building a String (see ARCHITECTURE.md,
    /// "Slots and the cost of an error path").
    @inlinable
    public static func hashRefusal(readonly: Bool, formatCharacter: UInt8?) -> SwiftBufferError.Fixed? {
        if !readonly { return .init(valueError: "cannot hash writable memoryview object") }
        guard let c = formatCharacter, let code = ElementCodec.Code(ascii: c), code.isByte else {
            return .init(valueError: "memoryview: hashing is restricted to formats 'B', 'b' or 'c'")
        }
        return nil
    }
}
