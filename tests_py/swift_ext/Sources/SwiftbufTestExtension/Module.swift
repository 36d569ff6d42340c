// swiftbuf_testext: every public API of SwiftBufferPython, driven from Python by the tests
// (tests_py/test_swift_package.py) and the benchmarks (benchmarks/bench_swift_api.py).
import CPythonShim
import CReference
import SwiftBuffer
import SwiftBufferPython

@_cdecl("PyInit_swiftbuf_testext")
public func PyInit_swiftbuf_testext() -> PyObjectPointer? {
    PythonModule.initialize(name: "swiftbuf_testext", doc: "Drives swiftbuf's Swift API from Python.", functions: [
        PythonFunction("matrix", doc: "matrix(rows, cols, order='C', readonly=False): m[i, j] = i * cols + j") { args throws(PythonError) in
            try args.expect(2...4)
            let rows = try args.int(0), cols = try args.int(1)
            let order: BufferOrder = args.optionalObject(2) == nil ? .c : (try args.string(2) == "F" ? .fortran : .c)
            let readonly = args.optionalObject(3) == nil ? false : try args.bool(3)
            try checkTestSize(rows, cols)
            var m = [Double](repeating: 0, count: rows * cols)
            for i in 0..<(cols == 0 ? 0 : rows) {   // rows alone may be huge when there are no columns
                for j in 0..<cols { m[order == .c ? i * cols + j : j * rows + i] = Double(i * cols + j) }
            }
            return try PythonBuffer.export(consume m, shape: [rows, cols], order: order, readonly: readonly)
        },
        PythonFunction("array", doc: "array(code, n, readonly=False, shape=None, strides=None): (Buffer of [T] 0, 1, 2, ..., the array's address before export)") { args throws(PythonError) in
            try args.expect(2...5)
            let code = try args.string(0), n = try args.int(1)
            let readonly = args.optionalObject(2) == nil ? false : try args.bool(2)
            let shape = try args.optionalObject(3).map { o throws(PythonError) in try intList(o) }
            let strides = try args.optionalObject(4).map { o throws(PythonError) in try intList(o) }
            try checkTestSize(n)
            // PythonBuffer.export's precondition (a programming error, not bad input): one stride per dimension.
            if let strides, strides.count != (shape?.count ?? 1) { throw .valueError("len(strides) != len(shape)") }
            return try withElementType(code) { (type: any TestElement.Type) throws(PythonError) in
                try type.exportCounting(n, shape: shape, strides: strides, readonly: readonly)
            }
        },
        PythonFunction("formats", doc: "formats(): the format code of every Swift element type array() exports, as a str") { args throws(PythonError) in
            try args.expect(0)
            return try PythonObject(String(decoding: elementTypes.map { $0.formatCode }, as: UTF8.self))
        },
        PythonFunction("doubles", doc: "doubles(n): [Double] 0, 1, 2, ... exported") { args throws(PythonError) in
            try args.expect(1)
            let n = try args.int(0)
            try checkTestSize(n)
            // Filled by a plain loop, as c_doubles fills its memory: with `(0..<n).map`, the
            // fill cost 2.5x the C loop and was most of what bench_swift_api.py's export compared.
            let values = [Double](unsafeUninitializedCapacity: n) { slots, count in
                for i in 0..<n { slots[i] = Double(i) }
                count = n
            }
            return try PythonBuffer.export(consume values)
        },
        PythonFunction("c_doubles", doc: "c_doubles(n): the C reference of doubles (malloc'ed, exported through the capsule)") { args throws(PythonError) in
            try args.expect(1)
            let n = try args.int(0)
            try checkTestSize(n)
            guard let made = creference_export_doubles(n) else { throw PythonError.fetch() }
            return PythonObject(adopting: made.assumingMemoryBound(to: PyObject.self))
        },
        PythonFunction("c_matrix", doc: "c_matrix(rows, cols, strides=None): C's export_memory of a rows x cols matrix of doubles") { args throws(PythonError) in
            let rows = try args.int(0), cols = try args.int(1)
            try checkTestSize(rows * cols)
            let strides = try args.optionalObject(2).map { o throws(PythonError) in try intList(o) }
            let made = strides.map { s in s.withUnsafeBufferPointer { creference_export_matrix(rows, cols, $0.baseAddress) } }
                ?? creference_export_matrix(rows, cols, nil)
            guard let made else { throw PythonError.fetch() }
            return PythonObject(adopting: made.assumingMemoryBound(to: PyObject.self))
        },
        PythonFunction("shared_global", doc: "shared_global(readonly): (Buffer of a global [Double], the global's address)") { args throws(PythonError) in
            try args.expect(1)
            let address = sharedGlobal.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
            return try .tuple(try PythonBuffer.export(sharedGlobal, readonly: try args.bool(0)), try PythonObject(address))
        },
        PythonFunction("raw", doc: "raw(format, shape, strides=None, byte_count=None, readonly=False): byte k = k % 251, counted deallocator") { args throws(PythonError) in
            try args.expect(2...5)
            let format = try args.string(0)
            let shape = try intList(args.object(1))
            let strides = try args.optionalObject(2).map { o throws(PythonError) in try intList(o) }
            if let strides, strides.count != shape.count { throw .valueError("len(strides) != len(shape)") }
            let itemsize = structSize(format) ?? 1
            // By default just the bytes the layout reaches (non-negative strides); the export checks the rest.
            let byteCount = args.optionalObject(3) == nil ? spannedBytes(itemsize, shape, strides) : try args.int(3)
            if byteCount < 0 { throw .valueError("byte_count must not be negative") }
            try checkTestSize(byteCount)
            let readonly = args.optionalObject(4) == nil ? false : try args.bool(4)
            let memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 16)
            for k in 0..<byteCount { memory.storeBytes(of: UInt8(k % 251), toByteOffset: k, as: UInt8.self) }
            return try PythonBuffer.export(unsafeBytes: memory, byteCount: byteCount, format: format, shape: shape,
                                           strides: strides, readonly: readonly) { p in
                p.deallocate()
                deallocations += 1
            }
        },
        PythonFunction("typed_pointer", doc: "typed_pointer(n): n Int32 values 0.. exported from a typed pointer") { args throws(PythonError) in
            try args.expect(1)
            let n = try args.int(0)
            try checkTestSize(n)
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(n, 1))
            for i in 0..<n { p[i] = Int32(i) }
            return try PythonBuffer.export(unsafePointer: p, count: n) { p in
                p.deallocate()
                deallocations += 1
            }
        },
        PythonFunction("deallocations", doc: "How many deallocators of raw exports have run.") { _ throws(PythonError) in
            try PythonObject(deallocations)
        },
        PythonFunction("sum", doc: "sum(obj): the sum of a buffer of doubles in C order, any layout (forEach)") { args throws(PythonError) in
            try args.expect(1)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0))
            var total = 0.0
            view.forEach { total += $0 }
            return try PythonObject(total)
        },
        PythonFunction("span_sum", doc: "span_sum(obj): the sum of contiguous doubles through withSpan") { args throws(PythonError) in
            try args.expect(1)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0))
            let total = try view.withSpan { span in
                var t = 0.0
                for i in span.indices { t += span[i] }
                return t
            }
            return try PythonObject(total)
        },
        PythonFunction("c_sum", doc: "c_sum(obj): the C reference of span_sum") { args throws(PythonError) in
            try args.expect(1)
            let total = creference_sum(UnsafeMutableRawPointer(try args.object(0)))
            if total.isNaN, PyErr_Occurred() != nil { throw PythonError.fetch() }
            return try PythonObject(total)
        },
        PythonFunction("scale", doc: "scale(obj, factor): multiplies every double in place, any layout (transformEach)") { args throws(PythonError) in
            try args.expect(2)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0), writable: true)
            let factor = try args.double(1)
            view.transformEach { $0 *= factor }
            return .none
        },
        PythonFunction("span_scale", doc: "span_scale(obj, factor): multiplies contiguous doubles through withMutableSpan") { args throws(PythonError) in
            try args.expect(2)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0), writable: true)
            let factor = try args.double(1)
            try view.withMutableSpan { span in
                for i in span.indices { span[i] *= factor }
            }
            return .none
        },
        PythonFunction("element", doc: "element(obj, code, indices, value=None): the element at indices, read as the Swift type of code (after storing value through a writable view, when given); indices must be in range (a precondition)") { args throws(PythonError) in
            try args.expect(3...4)
            let indices = try intList(args.object(2))
            let object = try args.object(0)
            let value = args.optionalObject(3)
            return try withElementType(try args.string(1)) { (type: any TestElement.Type) throws(PythonError) in
                if let value { return try type.store(value, in: object, at: indices) }
                return try type.element(of: object, at: indices)
            }
        },
        PythonFunction("read", doc: "read(obj, code): (forEach, elements(), withUnsafeBufferPointer or (type, message) of its error) of a PythonBufferView of obj") { args throws(PythonError) in
            try args.expect(2)
            let object = try args.object(0)
            return try withElementType(try args.string(1)) { (type: any TestElement.Type) throws(PythonError) in
                try type.read(object)
            }
        },
        PythonFunction("release", doc: "release(obj): a PythonBufferView<UInt8> of obj made and given back by its consuming release()") { args throws(PythonError) in
            try args.expect(1)
            let view = try PythonBufferView<UInt8>(unsafeObject: args.object(0))
            view.release()
            return .none
        },
        PythonFunction("held_sum", doc: "held_sum(obj, rounds): holds a PythonBufferView<Double> of obj and sums it rounds times with the GIL released; (sum, the view's shape, obj.shape after)") { args throws(PythonError) in
            try args.expect(2)
            let object = try args.object(0), rounds = try args.int(1)
            let view = try PythonBufferView<Double>(unsafeObject: object)
            let total = PythonInterpreter.withoutGIL {
                var total = 0.0
                for _ in 0..<rounds { total = 0; view.forEach { total += $0 } }
                return total
            }
            let shape = try PythonObject(tupleOf: view.shape)
            guard let now = PyObject_GetAttrString(object, "shape") else { throw PythonError.fetch() }
            guard let result = PyTuple_New(3) else { swiftbuf_Py_DECREF(now); throw PythonError.fetch() }
            let owned = PythonObject(adopting: result)
            PyTuple_SetItem(result, 0, try PythonObject(total).take())
            PyTuple_SetItem(result, 1, shape.take())
            PyTuple_SetItem(result, 2, now)
            return owned
        },
        PythonFunction("held_scale", doc: "held_scale(obj, factor): multiplies every double through a writable PythonBufferView with the GIL released") { args throws(PythonError) in
            try args.expect(2)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0), writable: true)
            let factor = try args.double(1)
            PythonInterpreter.withoutGIL { view.transformEach { $0 *= factor } }
            return .none
        },
        PythonFunction("elements", doc: "elements(obj, code): every element in C order, read as the Swift type of code") { args throws(PythonError) in
            try args.expect(2)
            let object = try args.object(0)
            return try withElementType(try args.string(1)) { (type: any TestElement.Type) throws(PythonError) in
                try type.elements(of: object)
            }
        },
        PythonFunction("info", doc: "info(obj, code): (shape, strides, format, readonly, c_contiguous, f_contiguous, count, ndim)") { args throws(PythonError) in
            try args.expect(2)
            let object = try args.object(0)
            return try withElementType(try args.string(1)) { (type: any TestElement.Type) throws(PythonError) in
                try type.info(of: object)
            }
        },
        PythonFunction("refusal", doc: "refusal(obj, code, writable=False, access='init'): None, or (type name, message) of the PythonError") { args throws(PythonError) in
            try args.expect(2...4)
            let object = try args.object(0)
            let writable = args.optionalObject(2) == nil ? false : try args.bool(2)
            let access = args.optionalObject(3) == nil ? "init" : try args.string(3)
            return try withElementType(try args.string(1)) { (type: any TestElement.Type) throws(PythonError) in
                guard let error = type.refusal(of: object, writable: writable, access: access) else { return .none }
                return try .tuple(try PythonObject(error.typeName), try PythonObject(error.message))
            }
        },
        PythonFunction("hold", doc: "hold(obj): keeps a PythonBufferView<Double> of obj until release_held()") { args throws(PythonError) in
            try args.expect(1)
            held.append(Held(try PythonBufferView<Double>(unsafeObject: args.object(0))))
            return try PythonObject(held.count)
        },
        PythonFunction("release_held", doc: "release_held(): releases every held view (consuming release) and says how many") { _ throws(PythonError) in
            let n = held.count
            for box in held { box.view.take()?.release() }
            held.removeAll()
            return try PythonObject(n)
        },
        PythonFunction("acquire_release", doc: "acquire_release(obj, n): n typed views made and released from Swift") { args throws(PythonError) in
            try args.expect(2)
            let object = try args.object(0), n = try args.int(1)
            for _ in 0..<n { _ = try PythonBufferView<Double>(unsafeObject: object) }
            return .none
        },
        PythonFunction("c_acquire_release", doc: "c_acquire_release(obj, n): the C reference of acquire_release") { args throws(PythonError) in
            try args.expect(2)
            if creference_acquire_release(UnsafeMutableRawPointer(try args.object(0)), try args.int(1)) < 0 { throw PythonError.fetch() }
            return .none
        },
        PythonFunction("bytes_count", doc: "bytes_count(obj): the byte count withBytes sees") { args throws(PythonError) in
            try args.expect(1)
            let view = try PythonBufferView<UInt8>(unsafeObject: args.object(0))
            return try PythonObject(try view.withBytes { $0.byteCount })
        },
        PythonFunction("write_readonly_view", doc: "write_readonly_view(obj): stores through a view not made writable (a precondition failure)") { args throws(PythonError) in
            try args.expect(1)
            let view = try PythonBufferView<Double>(unsafeObject: args.object(0))
            view[0] = 1
            return .none
        },
        PythonFunction("raise_error", doc: "raise_error(kind, message): throws a PythonError of that kind") { args throws(PythonError) in
            try args.expect(2)
            let kinds: [String: PythonError.Kind] = ["BufferError": .bufferError, "ValueError": .valueError, "TypeError": .typeError,
                                                     "IndexError": .indexError, "ImportError": .importError]
            throw PythonError(kinds[try args.string(0)] ?? .runtimeError, try args.string(1))
        },
    ])
}

// MARK: - State the tests inspect

nonisolated(unsafe) private var deallocations = 0
nonisolated(unsafe) private var held: [Held] = []
nonisolated(unsafe) private var sharedGlobal: [Double] = [1, 2, 3, 4]

private final class Held {
    var view: PythonBufferView<Double>?
    init(_ view: consuming PythonBufferView<Double>) { self.view = consume view }
}

/// The test functions build what Python asks for: sizes beyond a gigabyte are refused, as
/// Swift's allocator traps instead of failing (the export under test never sees them).
private func checkTestSize(_ counts: Int...) throws(PythonError) {
    var total = 1
    for n in counts {
        if n < 0 { throw .valueError("negative size \(n)") }
        let (p, overflow) = total.multipliedReportingOverflow(by: Swift.max(n, 1))
        if overflow || p > 1 << 30 { throw PythonError(.memoryError, "the test extension allocates at most 2**30 elements") }
        total = p
    }
}

/// The bytes from the first item to the end of the last one, for non-negative strides
/// (default: C order); 0 for an empty shape.
private func spannedBytes(_ itemsize: Int, _ shape: [Int], _ strides: [Int]?) -> Int {
    if shape.contains(where: { $0 <= 0 }) { return 0 }
    guard let strides else {
        var n = itemsize
        for extent in shape { n = n.multipliedReportingOverflow(by: extent).overflow ? Int.max : n * extent }
        return n
    }
    var end = itemsize
    for (extent, stride) in zip(shape, strides) where stride > 0 {
        let (span, o1) = stride.multipliedReportingOverflow(by: extent - 1)
        let (next, o2) = end.addingReportingOverflow(span)
        if o1 || o2 { return Int.max }
        end = next
    }
    return end
}

private func intList(_ o: PyObjectPointer) throws(PythonError) -> [Int] {
    guard let seq = PySequence_Tuple(o) else { throw .typeError("expected a sequence of ints") }
    defer { swiftbuf_Py_DECREF(seq) }
    var result: [Int] = []
    for i in 0..<swiftbuf_PyTuple_GET_SIZE(seq) {
        let v = PyNumber_AsSsize_t(swiftbuf_PyTuple_GET_ITEM(seq, i), nil)
        if v == -1, PyErr_Occurred() != nil { PyErr_Clear(); throw .typeError("expected a sequence of ints") }
        result.append(v)
    }
    return result
}

// struct.calcsize, looked up once: PyObject_GetAttrString on every call would make a new name
// str each time, and CPython's attribute cache keeps a reference to each name it is asked for
// (up to one per slot of its 4096), which under ASan's quarantine the leak tests saw as growth.
nonisolated(unsafe) private var calcsize: PyObjectPointer? = nil

private func structSize(_ format: String) -> Int? {
    if calcsize == nil {
        guard let module = PyImport_ImportModule("struct") else { PyErr_Clear(); return nil }
        defer { swiftbuf_Py_DECREF(module) }
        guard let function = PyObject_GetAttrString(module, "calcsize") else { PyErr_Clear(); return nil }
        calcsize = function
    }
    guard let text = PyUnicode_FromString(format) else { PyErr_Clear(); return nil }
    defer { swiftbuf_Py_DECREF(text) }
    guard let result = PyObject_CallOneArg(calcsize, text) else { PyErr_Clear(); return nil }
    defer { swiftbuf_Py_DECREF(result) }
    return PyLong_AsSsize_t(result)
}
