import Testing
import SwiftBuffer

private func bytes(_ memory: SwiftMemory) -> [UInt8] {
    memory.withUnsafeMutableBytes { Array($0) }
}

/// Counts deallocator runs of raw-pointer memory.
private final class Deallocations {
    var pointers: [UnsafeMutableRawPointer] = []
}

private let shapes: [[Int]] = [[], [0], [1], [7], [2, 3], [3, 0, 2], [2, 3, 4], [1, 1, 5]]

@Suite struct SwiftMemoryTests {
    // MARK: - The element protocol

    /// Each Swift element type's format code names a native struct item of exactly its size, so
    /// consumers compute the same itemsize Swift lays the array out with.
    @Test func elementTypesMapToTheirFormatCodes() throws {
        func check<T: BufferElement>(_: T.Type, _ code: Character) throws {
            #expect(T.formatCode == code.asciiValue!, "\(T.self)")
            let parsed = try StructFormat(parsing: [T.formatCode])
            #expect(parsed.itemsize == MemoryLayout<T>.stride, "\(T.self)")
            #expect(ElementCodec.Code(format: [T.formatCode])?.rawValue == T.formatCode, "\(T.self)")
        }
        try check(Int8.self, "b"); try check(UInt8.self, "B")
        try check(Int16.self, "h"); try check(UInt16.self, "H")
        try check(Int32.self, "i"); try check(UInt32.self, "I")
        try check(Int64.self, "q"); try check(UInt64.self, "Q")
        try check(Int.self, "l"); try check(UInt.self, "L")
        try check(Float.self, "f"); try check(Double.self, "d"); try check(Bool.self, "?")
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        if #available(macOS 11.0, iOS 14.0, tvOS 14.0, watchOS 7.0, *) { try check(Float16.self, "e") }
        #endif
    }

    // MARK: - Construction

    @Test(arguments: [Layout.Order.c, .fortran])
    func zeroedMemoryHasTheCompleteLayout(order: Layout.Order) throws {
        for shape in shapes {
            for format in ["B", "d", "<h", "3s", "i?x"] {
                let itemsize = try StructFormat(parsing: Array(format.utf8)).itemsize
                let memory = try SwiftMemory(zeroedShape: shape, format: Array(format.utf8), order: order)
                let count = shape.reduce(1, *)
                #expect(memory.shape == shape && memory.ndim == shape.count)
                #expect(memory.itemsize == itemsize)
                #expect(memory.byteCount == count * itemsize)
                #expect(memory.strides == Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: order))
                #expect(memory.format == Array(format.utf8))
                #expect(bytes(memory).allSatisfy { $0 == 0 } && bytes(memory).count == count * itemsize)
                #expect(!memory.readonly && memory.exports.live == 0)
                let d = memory.descriptor
                #expect(d.buf == memory.base && d.len == memory.byteCount && d.itemsize == itemsize && d.ndim == shape.count)
                #expect(string(d.format) == format && d.suboffsets == nil)
                #expect(memory.contiguity.contains(order == .c || shape.count < 2 ? .c : .fortran))
            }
        }
    }

    @Test func malformedFormatsAndShapes() {
        #expect(throws: SwiftBufferError.valueError("invalid format 'z': bad char in struct format")) {
            try SwiftMemory(zeroedShape: [1], format: Array("z".utf8))
        }
        #expect(throws: SwiftBufferError.valueError("invalid format '3': repeat count given without format specifier")) {
            try SwiftMemory(zeroedShape: [1], format: Array("3".utf8))
        }
        for empty in ["", "0i", "<"] {
            #expect(throws: SwiftBufferError.valueError("format '\(empty)' has itemsize 0")) {
                try SwiftMemory(zeroedShape: [1], format: Array(empty.utf8))
            }
        }
        #expect(throws: SwiftBufferError.valueError("swiftbuf.Buffer: negative dimensions are not allowed: shape (2, -1), format 'B'")) {
            try SwiftMemory(zeroedShape: [2, -1], format: Array("B".utf8))
        }
        #expect(throws: SwiftBufferError.valueError("swiftbuf.Buffer: shape (1099511627776, 1099511627776) of format 'd' is too large: "
                                                    + "product(shape) * itemsize is more than 9223372036854775807 bytes")) {
            try SwiftMemory(zeroedShape: [1 << 40, 1 << 40], format: Array("d".utf8))
        }
    }

    /// frombytes: the bytes are copied once, and `order` only chooses the strides.
    @Test(arguments: [Layout.Order.c, .fortran])
    func copyingKeepsTheBytesAndChoosesStrides(order: Layout.Order) throws {
        let data = (0..<24).map { UInt8($0 * 3) }
        let memory = try data.withUnsafeBytes { raw throws(SwiftBufferError) in
            try SwiftMemory(copying: raw, format: Array("<h".utf8), shape: [3, 4], order: order, readonly: true)
        }
        #expect(bytes(memory) == data)
        #expect(memory.strides == (order == .c ? [8, 2] : [2, 6]))
        #expect(memory.readonly && memory.descriptor.readonly)
        let flat = try data.withUnsafeBytes { raw throws(SwiftBufferError) in
            try SwiftMemory(copying: raw, format: Array("i".utf8), shape: nil)
        }
        #expect(flat.shape == [6] && flat.strides == [4])
    }

    @Test func copyingRefusesMismatchedLengths() {
        let five: [UInt8] = [1, 2, 3, 4, 5]
        five.withUnsafeBytes { raw in
            #expect(throws: SwiftBufferError.valueError("data length 5 does not match shape (2,) × itemsize 4 = 8 bytes")) {
                try SwiftMemory(copying: raw, format: Array("i".utf8), shape: [2])
            }
            #expect(throws: SwiftBufferError.valueError("data length 5 does not match shape (1, 2) × itemsize 4 = 8 bytes")) {
                try SwiftMemory(copying: raw, format: Array("i".utf8), shape: [1, 2])
            }
            #expect(throws: SwiftBufferError.valueError("data length 5 is not a multiple of itemsize 4")) {
                try SwiftMemory(copying: raw, format: Array("i".utf8), shape: nil)
            }
        }
    }

    /// An array handed over as its last use is exported in place: same storage address.
    @Test func arrayIsAdoptedWithoutACopy() throws {
        var values = (0..<12).map(Double.init)
        let address = values.withUnsafeMutableBufferPointer { UnsafeMutableRawPointer($0.baseAddress!) }
        let memory = try SwiftMemory(array: consume values, shape: [3, 4], order: .fortran)
        #expect(memory.base == address)
        #expect(memory.format == [UInt8(ascii: "d")] && memory.itemsize == 8)
        #expect(memory.strides == [8, 24] && memory.byteCount == 96)
        let first = memory.withUnsafeMutableBytes { $0.load(fromByteOffset: 8, as: Double.self) }
        #expect(first == 1)
    }

    @Test func arrayShapeMustMatchItsCount() {
        #expect(throws: SwiftBufferError.valueError("shape (3,) needs 3 elements, the array has 4")) {
            try SwiftMemory(array: [Int32](repeating: 0, count: 4), shape: [3])
        }
        #expect(throws: SwiftBufferError.valueError("swiftbuf.Buffer: negative dimensions are not allowed: shape (0, -2), format 'i'")) {
            try SwiftMemory(array: [Int32](), shape: [0, -2])
        }
    }

    // MARK: - Lifetime

    /// A raw pointer's deallocator runs once, after the last reference, wherever it is held.
    @Test func deallocatorRunsExactlyOnce() throws {
        let log = Deallocations()
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 16)
        var pythonReference: Unmanaged<SwiftMemory>? = nil
        do {
            let memory = try SwiftMemory(unsafePointer: pointer, byteCount: 48, format: Array("d".utf8), shape: [2, 3],
                                         deallocator: { p in log.pointers.append(p); p.deallocate() })
            #expect(memory.base == pointer && memory.strides == [24, 8])
            // What a Python object does: keep a retained reference beyond Swift's.
            pythonReference = Unmanaged.passRetained(memory)
        }
        #expect(log.pointers.isEmpty)
        pythonReference?.release()
        pythonReference = nil
        #expect(log.pointers == [pointer])
    }

    @Test func deallocatorIsNotRunWhenConstructionFails() {
        let log = Deallocations()
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 16)
        defer { pointer.deallocate() }
        #expect(throws: SwiftBufferError.self) {
            try SwiftMemory(unsafePointer: pointer, byteCount: 8, format: Array("z".utf8), shape: [1],
                            deallocator: { log.pointers.append($0) })
        }
        #expect(log.pointers.isEmpty)
    }

    // MARK: - Resizing

    @Test func pinnedExportRefusesResize() throws {
        let memory = try SwiftMemory(zeroedShape: [4], format: Array("i".utf8))
        let refused = SwiftBufferError.bufferError("Existing exports of data: object cannot be re-sized")
        memory.withPinnedExport {
            #expect(memory.exports.live == 1)
            #expect(throws: refused) { try memory.resize(shape: [8]) }
        }
        #expect(throws: SwiftBufferError.typeError("from the body")) {
            try memory.withPinnedExport { () throws(SwiftBufferError) in throw .typeError("from the body") }
        }
        #expect(memory.exports.live == 0)
        try memory.resize(shape: [8])
        #expect(memory.byteCount == 32)
    }

    @Test func resizeIsRefusedWhileExported() throws {
        let memory = try SwiftMemory(zeroedShape: [4], format: Array("i".utf8))
        memory.withUnsafeMutableBytes { for i in $0.indices { $0[i] = UInt8(i + 1) } }
        memory.exports.opened()
        #expect(throws: SwiftBufferError.bufferError("Existing exports of data: object cannot be re-sized")) {
            try memory.resize(shape: [8])
        }
        #expect(memory.shape == [4] && memory.byteCount == 16)
        memory.exports.closed()
        try memory.resize(shape: [2, 3])
        #expect(memory.shape == [2, 3] && memory.strides == [12, 4] && memory.byteCount == 24)
        #expect(bytes(memory) == (1...16).map(UInt8.init) + [UInt8](repeating: 0, count: 8))
        #expect(memory.contiguity.contains(.c))
        try memory.resize(shape: [1])
        #expect(bytes(memory) == [1, 2, 3, 4])
        try memory.resize(shape: [0])
        #expect(memory.byteCount == 0 && memory.shape == [0])
        #expect(throws: SwiftBufferError.valueError("swiftbuf.Buffer: negative dimensions are not allowed: shape (-1,), format 'i'")) {
            try memory.resize(shape: [-1])
        }
        #expect(memory.shape == [0])
    }

    @Test func resizeIsRefusedForMemorySwiftDidNotAllocate() throws {
        let message = "swiftbuf.Buffer: memory not allocated by swiftbuf cannot be re-sized"
        let array = try SwiftMemory(array: [1, 2, 3] as [Int16])
        #expect(throws: SwiftBufferError.bufferError(message)) { try array.resize(shape: [1]) }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: 4, alignment: 4)
        let raw = try SwiftMemory(unsafePointer: pointer, byteCount: 4, format: Array("B".utf8), shape: [4],
                                  deallocator: { $0.deallocate() })
        #expect(throws: SwiftBufferError.bufferError(message)) { try raw.resize(shape: [2]) }
        #expect(array.shape == [3] && raw.shape == [4])
    }
}

@Suite struct PythonReprTests {
    /// Messages quote user input the way `repr(str)` does.
    @Test func quotesLikePython() {
        let cases: [(String, String)] = [
            ("d", "'d'"), ("", "''"), ("it's", "\"it's\""), ("a'b\"c", "'a\\'b\"c'"),
            ("i\0", "'i\\x00'"), ("\t\n\r\\", "'\\t\\n\\r\\\\'"), ("\u{7f}", "'\\x7f'"), ("é", "'é'"),
        ]
        for (input, expected) in cases {
            #expect(SwiftBufferError.pythonRepr(Array(input.utf8)) == expected, "\(input)")
        }
    }
}
