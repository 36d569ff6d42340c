import Testing
import SwiftBuffer

// The DLPack rules of the core, without Python: formats to data types and back, and the layout
// of an imported tensor. tests_py/test_buffer_dlpack.py checks the same through NumPy.

@Suite struct DLPackTests {
    /// Every format DLPack expresses, with its (code, bits): the type, and the format it maps back to.
    @Test(arguments: [
        ("b", 0, 8, "b"), ("h", 0, 16, "h"), ("i", 0, 32, "i"), ("q", 0, 64, "q"), ("l", 0, 64, "q"), ("n", 0, 64, "q"),
        ("B", 1, 8, "B"), ("H", 1, 16, "H"), ("I", 1, 32, "I"), ("Q", 1, 64, "Q"), ("L", 1, 64, "Q"), ("N", 1, 64, "Q"),
        ("e", 2, 16, "e"), ("f", 2, 32, "f"), ("d", 2, 64, "d"), ("?", 6, 8, "?"), ("@d", 2, 64, "d"), ("=i", 0, 32, "i"),
        // A byte-order prefix gives the standard size ('l' is 4 bytes), the native one '@' or none.
        ("@l", 0, 64, "q"), ("=l", 0, 32, "i"), ("=L", 1, 32, "I"), ("=?", 6, 8, "?"), ("@e", 2, 16, "e"),
    ])
    func formatsRoundTrip(format: String, code: Int, bits: Int, back: String) throws {
        let type = try DLPack.dataType(of: Array(format.utf8))
        #expect(type == DLPack.DataType(code: UInt8(code), bits: UInt8(bits), lanes: 1))
        #expect(try DLPack.format(of: type) == Array(back.utf8))
    }

    /// Formats of more than one value, of other kinds, or in the other byte order are refused
    /// with the message that lists what DLPack can say.
    @Test(arguments: ["2i", "ii", "c", "3s", "P", "x", "", "Z", "T{i}", ">d", "@c", "@P", "=c", "@", "@@d", "d@"])
    func formatsDLPackCannotExpress(format: String) {
        #expect(throws: SwiftBufferError.self) { try DLPack.dataType(of: Array(format.utf8)) }
        do {
            _ = try DLPack.dataType(of: Array(format.utf8))
        } catch {
            #expect(error.message.hasPrefix("DLPack cannot express format"), "\(format)")
        }
    }

    @Test func typesWithoutAFormat() {
        for type in [DLPack.DataType(code: 5, bits: 64, lanes: 1), DLPack.DataType(code: 4, bits: 16, lanes: 1),
                     DLPack.DataType(code: 2, bits: 32, lanes: 4), DLPack.DataType(code: 0, bits: 24, lanes: 1),
                     DLPack.DataType(code: 9, bits: 8, lanes: 1)] {
            #expect(throws: SwiftBufferError.self) { try DLPack.format(of: type) }
        }
    }

    @Test func importedLayouts() throws {
        // No strides: C order, the legacy convention.
        let c = try DLPack.importedLayout(shape: [3, 4], elementStrides: nil, itemsize: 8)
        #expect(c.strides == [32, 8] && c.span == 96)
        // Element strides become byte strides; the span reaches the last element.
        let strided = try DLPack.importedLayout(shape: [3, 4], elementStrides: [1, 6], itemsize: 4)
        #expect(strided.strides == [4, 24] && strided.span == (2 * 4 + 3 * 24) + 4)
        let empty = try DLPack.importedLayout(shape: [3, 0], elementStrides: nil, itemsize: 2)
        #expect(empty.span == 0)
        let scalar = try DLPack.importedLayout(shape: [], elementStrides: nil, itemsize: 2)
        #expect(scalar.strides == [] && scalar.span == 2)
        #expect(throws: SwiftBufferError.bufferError("swiftbuf.Buffer.from_dlpack: negative strides are not supported")) {
            try DLPack.importedLayout(shape: [3], elementStrides: [-1], itemsize: 1)
        }
        #expect(throws: SwiftBufferError.bufferError("DLPack tensor has a negative extent")) {
            try DLPack.importedLayout(shape: [-3], elementStrides: nil, itemsize: 1)
        }
        #expect(throws: SwiftBufferError.self) {
            try DLPack.importedLayout(shape: [Int.max / 2, 4], elementStrides: nil, itemsize: 8)
        }
    }
}
