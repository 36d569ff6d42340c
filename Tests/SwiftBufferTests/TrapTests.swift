import Testing
import SwiftBuffer

// Every `precondition` of the core, proven to trap: each is a misuse by a Swift caller (the
// bridge checks these conditions, with CPython's exception, before it calls), so the core stops
// the process instead of reading or writing memory it was not given. An exit test runs its body
// in a child process; `.failure` is a trap there. (The public library's own preconditions, in
// SwiftBufferPython, need a CPython interpreter and a Python buffer to reach, which this target
// does not link: tests_py covers that library.)

@Suite("Core preconditions trap")
struct TrapTests {
    @Test("Layout.Slice: a zero step")
    func zeroStep() async {
        await #expect(processExitsWith: .failure) {
            _ = Layout.Slice(start: 0, stop: 4, step: 0, count: 4)
        }
    }

    @Test("Layout.copy: a Fortran-order walk over a layout with suboffsets")
    func fortranCopyWithSuboffsets() async {
        await #expect(processExitsWith: .failure) {
            var storage: [Int] = [2, 8, 0, 2, 8, -1]   // shape, strides, suboffsets of each side
            var bytes = [UInt8](repeating: 0, count: 64)
            storage.withUnsafeMutableBufferPointer { ints in
                bytes.withUnsafeMutableBytes { memory in
                    let p = ints.baseAddress!
                    let source = BufferDescriptor(buf: memory.baseAddress!, len: 16, itemsize: 8, readonly: false, ndim: 1,
                                                  format: nil, shape: p, strides: p + 1, suboffsets: p + 2)
                    let destination = BufferDescriptor(buf: memory.baseAddress! + 32, len: 16, itemsize: 8, readonly: false,
                                                       ndim: 1, format: nil, shape: p + 3, strides: p + 4, suboffsets: nil)
                    Layout.copy(from: source, to: destination, scratch: nil, order: .fortran)
                }
            }
        }
    }

    @Test("NDBuffer: zero items", arguments: [(0, 1), (1, 0), (-1, 2)])
    func emptyBaseBuffer(count: Int, itemsize: Int) async {
        await #expect(processExitsWith: .failure) { [count, itemsize] in
            _ = try? NDBuffer(itemCount: count, itemsize: itemsize, offset: 0, flags: [])
        }
    }

    @Test("NDBuffer: a third owned layout array")
    func thirdOwnedArray() async {
        await #expect(processExitsWith: .failure) {
            var buffer = try! NDBuffer(itemCount: 4, itemsize: 1, offset: 0, flags: [])
            buffer.setElement(itemsize: 1, format: [UInt8(ascii: "B")])
            try! buffer.setStructure(shape: [4], strides: nil)   // the first array
            try! buffer.ownStructure()                              // the second
            try! buffer.ownStructure()                              // no room for a third
        }
    }

    @Test("NDBuffer.applySlice before ownStructure, or past ndim")
    func sliceWithoutOwnArrays() async {
        await #expect(processExitsWith: .failure) {
            var buffer = try! NDBuffer(itemCount: 4, itemsize: 1, offset: 0, flags: [])
            buffer.setElement(itemsize: 1, format: [UInt8(ascii: "B")])
            try! buffer.setStructure(shape: [4], strides: nil)
            var consumer = NDBuffer(subviewOf: buffer.base, hasExporter: false)
            consumer.applySlice(Layout.Slice(start: 0, stop: 2, step: 1, count: 4), dimension: 0)
        }
        await #expect(processExitsWith: .failure) {
            var buffer = try! NDBuffer(itemCount: 4, itemsize: 1, offset: 0, flags: [])
            buffer.setElement(itemsize: 1, format: [UInt8(ascii: "B")])
            try! buffer.setStructure(shape: [4], strides: nil)
            var consumer = NDBuffer(subviewOf: buffer.base, hasExporter: false)
            try! consumer.ownStructure()
            consumer.applySlice(Layout.Slice(start: 0, stop: 2, step: 1, count: 4), dimension: 1)
        }
    }

    @Test("NDAssignment.copy: 0-d layouts")
    func scalarAssignment() async {
        await #expect(processExitsWith: .failure) {
            var bytes: [UInt8] = [1, 2]
            bytes.withUnsafeMutableBytes { memory in
                let a = BufferDescriptor(buf: memory.baseAddress!, len: 1, itemsize: 1, readonly: false, ndim: 0,
                                         format: nil, shape: nil, strides: nil, suboffsets: nil)
                var b = a
                b.buf = memory.baseAddress! + 1
                try? NDAssignment.copy(a, into: b)
            }
        }
    }

    @Test("SwiftMemory(unsafePointer:): strides of another length, a negative byteCount")
    func rawMemoryMisuse() async {
        await #expect(processExitsWith: .failure) {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            _ = try? SwiftMemory(unsafePointer: p, byteCount: 8, format: [UInt8(ascii: "B")], shape: [2, 4], strides: [4],
                                 deallocator: { $0.deallocate() })
        }
        await #expect(processExitsWith: .failure) {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            _ = try? SwiftMemory(unsafePointer: p, byteCount: -1, format: [UInt8(ascii: "B")], shape: [0],
                                 deallocator: { $0.deallocate() })
        }
    }

    // The same calls within their contracts do not trap (so the exits above are the
    // preconditions', not the setup's).
    @Test("the contracts' valid side runs")
    func validSide() throws {
        #expect(Layout.Slice(start: 0, stop: 4, step: 2, count: 4).length == 2)
        var buffer = try NDBuffer(itemCount: 4, itemsize: 1, offset: 0, flags: [])
        buffer.setElement(itemsize: 1, format: [UInt8(ascii: "B")])
        try buffer.setStructure(shape: [4], strides: nil)
        try buffer.ownStructure()
        var consumer = NDBuffer(subviewOf: buffer.base, hasExporter: false)
        try consumer.ownStructure()
        consumer.applySlice(Layout.Slice(start: 0, stop: 2, step: 1, count: 4), dimension: 0)
        try consumer.finishSlicing()
        #expect(consumer.base.len == 2)
        let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        let memory = try SwiftMemory(unsafePointer: p, byteCount: 8, format: [UInt8(ascii: "B")], shape: [2, 4], strides: [4, 1],
                                     deallocator: { $0.deallocate() })
        #expect(memory.byteCount == 8)
    }
}
