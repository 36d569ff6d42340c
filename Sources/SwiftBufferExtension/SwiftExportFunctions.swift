// Private module-level functions of swiftbuf._swiftbuf that drive the Swift export API from
// Python, for the tests and `python -m swiftbuf`. Their method table is in Sources/pyext/module.c.
import SwiftBuffer

// MARK: - Arguments

private func flag(_ o: PyObjectRef?) throws(BridgeError) -> Bool {
    guard let o = o else { return false }
    return try isTrue(o)
}

private func optionalShape(_ o: PyObjectRef?, name: String) throws(BridgeError) -> [Int]? {
    guard let o = o, o != swiftbuf_Py_None() else { return nil }
    return try shapeArgument(o, name: name)
}

private func strideCount(_ strides: [Int]?, matches shape: [Int]) throws(BridgeError) {
    if let strides = strides, strides.count != shape.count {
        throw .valueError("len(strides) != len(shape)")
    }
}

// MARK: - Swift arrays

/// One exportable Swift element type: its format code comes from `BufferElement`, and `make`
/// builds `[Element]` holding 0, 1, 2, ... (false, true, false, ... for Bool), exports it, and
/// says where the array's elements were before the export (to prove they were not copied).
private struct ArrayExample {
    typealias Make = (_ count: Int, _ shape: [Int]?, _ strides: [Int]?, _ readonly: Bool) -> (PyObjectRef?, Int)
    let code: UInt8
    let make: Make

    init<T: BufferElement & BinaryInteger>(_: T.Type) {
        code = T.formatCode
        make = { n, shape, strides, ro in exportRecordingAddress((0..<n).map { T(truncatingIfNeeded: $0) }, shape, strides, ro) }
    }
    init<T: BufferElement & BinaryFloatingPoint>(_: T.Type) {
        code = T.formatCode
        make = { n, shape, strides, ro in exportRecordingAddress((0..<n).map { T($0) }, shape, strides, ro) }
    }
    init(_: Bool.Type) {
        code = Bool.formatCode
        make = { n, shape, strides, ro in exportRecordingAddress((0..<n).map { $0 % 2 == 1 }, shape, strides, ro) }
    }
}

private func exportRecordingAddress<T: BufferElement>(_ values: consuming [T], _ shape: [Int]?, _ strides: [Int]?,
                                                      _ readonly: Bool) -> (PyObjectRef?, Int) {
    let address = values.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
    return (PythonBuffer.export(consume values, shape: shape, strides: strides, readonly: readonly), address)
}

private let arrayExamples: [ArrayExample] = {
    var examples = [ArrayExample(Int8.self), ArrayExample(UInt8.self), ArrayExample(Int16.self), ArrayExample(UInt16.self),
                    ArrayExample(Int32.self), ArrayExample(UInt32.self), ArrayExample(Int64.self), ArrayExample(UInt64.self),
                    ArrayExample(Int.self), ArrayExample(UInt.self), ArrayExample(Float.self), ArrayExample(Double.self),
                    ArrayExample(Bool.self)]
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    if #available(macOS 11.0, iOS 14.0, tvOS 14.0, watchOS 7.0, *) { examples.append(ArrayExample(Float16.self)) }
    #endif
    return examples
}()

// Arrays bigger than this are refused with MemoryError: Swift's allocator traps on failure
// instead of returning NULL, and these helpers take sizes from Python.
private let largestTestArray = 1 << 30

private let arrayParameters = Parameters("_swift_array", ["format", "n", "shape", "strides", "readonly", "address"],
                                         required: 2, positional: 4, positionalOnly: 2)

/// `_swift_array(format, n, /, shape=None, strides=None, *, readonly=False, address=False)`: a
/// Swift array of the element type whose format code is `format`, exported without a copy;
/// with `address=True`, `(buffer, address the array's elements had before the export)`.
@_cdecl("swiftbuf_module_swift_array")
func moduleSwiftArray(_: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        var a: [PyObjectRef?] = []
        try arrayParameters.parse(args, nargs, kwnames, into: &a)
        let format = try strArgument(a[0]!, name: "format")
        guard format.count == 1, let example = arrayExamples.first(where: { $0.code == format[0] }) else {
            throw .valueError("no Swift element type has format \(SwiftBufferError.pythonRepr(format))")
        }
        let n = try ssize(a[1]!)
        guard n >= 0 else { throw .valueError("n must not be negative") }
        guard n <= largestTestArray else { throw .core(.memoryError("_swift_array: at most \(largestTestArray) elements")) }
        let shape = try optionalShape(a[2], name: "shape"), strides = try optionalShape(a[3], name: "strides")
        try strideCount(strides, matches: shape ?? [n])
        let (buffer, address) = example.make(n, shape, strides, try flag(a[4]))
        guard try flag(a[5]), let exported = buffer else { return buffer }
        guard let pair = PyTuple_New(2) else { decref(exported); throw .alreadySet }
        swiftbuf_PyTuple_SET_ITEM(pair, 0, exported)   // steals the reference
        guard let location = pyInt(address) else { decref(pair); throw .alreadySet }
        swiftbuf_PyTuple_SET_ITEM(pair, 1, location)
        return pair
    }
}

/// `_swift_array_formats()`: the format codes of every exportable Swift element type, as a str.
@_cdecl("swiftbuf_module_swift_array_formats")
func moduleSwiftArrayFormats(_: PyObjectRef?, _: PyObjectRef?) -> PyObjectRef? {
    pyString(String(decoding: arrayExamples.map(\.code), as: UTF8.self))
}

private let matrixParameters = Parameters("_swift_matrix", ["rows", "cols", "order", "readonly"],
                                          required: 2, positional: 2, positionalOnly: 2)

/// `_swift_matrix(rows, cols, /, *, order='C', readonly=False)`: a Swift `[Double]` holding
/// `m[i, j] = i * cols + j`, laid out in `order`, exported without a copy.
@_cdecl("swiftbuf_module_swift_matrix")
func moduleSwiftMatrix(_: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        var a: [PyObjectRef?] = []
        try matrixParameters.parse(args, nargs, kwnames, into: &a)
        let rows = try ssize(a[0]!), cols = try ssize(a[1]!)
        let order = try orderArgument(a[2]), readonly = try flag(a[3])
        let bytes = try core { () throws(SwiftBufferError) in try Layout.byteCount(shape: [rows, cols], itemsize: 8) }
        guard bytes / 8 <= largestTestArray else { throw .core(.memoryError("_swift_matrix: at most \(largestTestArray) elements")) }
        var values = [Double](repeating: 0, count: rows * cols)
        // No rows at all when a column count is 0: `rows` alone may be as large as Int.max.
        for i in 0..<(cols == 0 ? 0 : rows) {
            for j in 0..<cols {
                values[order == .fortran ? j * rows + i : i * cols + j] = Double(i * cols + j)
            }
        }
        return PythonBuffer.export(values, shape: [rows, cols], order: order, readonly: readonly)
    }
}

// MARK: - Raw pointers

/// Deallocator runs of `_swift_raw_export` memory; the GIL guards it.
nonisolated(unsafe) private var rawDeallocations = 0

private let rawParameters = Parameters("_swift_raw_export", ["format", "shape", "strides", "byte_count", "readonly"],
                                       required: 2, positional: 3, positionalOnly: 2)

/// `_swift_raw_export(format, shape, /, strides=None, *, byte_count=None, readonly=False)`:
/// `byte_count` bytes from `PyMem_RawCalloc` (default: just enough for the layout), byte `k`
/// holding `k % 251`, exported with a deallocator that frees them and counts its runs.
@_cdecl("swiftbuf_module_swift_raw_export")
func moduleSwiftRawExport(_: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        var a: [PyObjectRef?] = []
        try rawParameters.parse(args, nargs, kwnames, into: &a)
        let format = Array(try strArgument(a[0]!, name: "format"))
        let shape = try shapeArgument(a[1]!, name: "shape")
        let strides = try optionalShape(a[2], name: "strides")
        try strideCount(strides, matches: shape)
        let byteCount: Int
        if let o = a[3], o != swiftbuf_Py_None() {
            byteCount = try ssize(o)
            guard byteCount >= 0 else { throw .valueError("byte_count must not be negative") }
        } else {
            byteCount = try core { () throws(SwiftBufferError) in try spannedBytes(format: format, shape: shape, strides: strides) }
        }
        guard let memory = PyMem_RawCalloc(max(byteCount, 1), 1) else {
            PyErr_NoMemory()
            throw .alreadySet
        }
        let bytes = memory.assumingMemoryBound(to: UInt8.self)
        for k in 0..<byteCount { bytes[k] = UInt8(k % 251) }
        return PythonBuffer.export(unsafePointer: memory, byteCount: byteCount, format: format, shape: shape, strides: strides,
                                   readonly: try flag(a[4]), deallocator: { pointer in
            rawDeallocations += 1
            PyMem_RawFree(pointer)
        })
    }
}

/// The bytes from the first element to the end of the last one, for non-negative strides.
private func spannedBytes(format: [UInt8], shape: [Int], strides: [Int]?) throws(SwiftBufferError) -> Int {
    let itemsize = try SwiftMemory.itemsize(of: format)
    let contiguous = try Layout.byteCount(shape: shape, itemsize: itemsize)
    guard let strides = strides, contiguous > 0 else { return contiguous }
    var end = itemsize
    for (extent, stride) in zip(shape, strides) where stride > 0 {
        let (span, o1) = stride.multipliedReportingOverflow(by: extent - 1)
        let (next, o2) = end.addingReportingOverflow(span)
        if o1 || o2 { throw .overflowError("strides address more than sys.maxsize bytes") }
        end = next
    }
    return end
}

/// `_swift_raw_deallocations()`: how many `_swift_raw_export` deallocators have run.
@_cdecl("swiftbuf_module_swift_raw_deallocations")
func moduleSwiftRawDeallocations(_: PyObjectRef?, _: PyObjectRef?) -> PyObjectRef? {
    pyInt(rawDeallocations)
}

// MARK: - Swift reading and writing exported memory

/// `_swift_sum(obj, /)`: the sum of a contiguous buffer of doubles, read from Swift.
@_cdecl("swiftbuf_module_swift_sum")
func moduleSwiftSum(_: PyObjectRef?, _ object: PyObjectRef) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        let sum = try PythonBuffer.withUnsafeElements(of: object, as: Double.self) { $0.reduce(0, +) }
        return PyFloat_FromDouble(sum)
    }
}

/// `_swift_scale(obj, factor, /)`: multiplies every double of a contiguous writable buffer in
/// place, from Swift.
@_cdecl("swiftbuf_module_swift_scale")
func moduleSwiftScale(_: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        guard nargs == 2, let object = args![0], let factorObject = args![1] else {
            throw .typeError("_swift_scale expected 2 arguments, got \(nargs)")
        }
        let factor = PyFloat_AsDouble(factorObject)
        if factor == -1, PyErr_Occurred() != nil { throw .alreadySet }
        try PythonBuffer.withUnsafeMutableElements(of: object, as: Double.self) { elements in
            for i in elements.indices { elements[i] *= factor }
        }
        return pyNone
    }
}

// MARK: - Measuring export cost

/// `_export_release_loop(obj, n, flags, /)`: `n` rounds of `PyObject_GetBuffer(obj, flags)` +
/// `PyBuffer_Release`, and nothing else, so benchmarks can time an exporter's getbuffer and
/// releasebuffer without the interpreter or a consumer object in the way. The loop is the same
/// code for every exporter, so comparing exporters compares only their slots.
@_cdecl("swiftbuf_module_export_release_loop")
func moduleExportReleaseLoop(_: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        guard nargs == 3, let object = args![0], let countObject = args![1], let flagsObject = args![2] else {
            throw .typeError("_export_release_loop expected 3 arguments, got \(nargs)")
        }
        let count = try ssize(countObject), flags = try ssize(flagsObject)
        guard let request = Int32(exactly: flags) else { throw .overflowError("flags out of range") }
        // The Py_buffer stays at one heap address for every round, as consumers keep it.
        let view = UnsafeMutablePointer<Py_buffer>.allocate(capacity: 1)
        defer { view.deallocate() }
        for _ in 0..<max(count, 0) {
            if PyObject_GetBuffer(object, view, request) < 0 { throw .alreadySet }
            PyBuffer_Release(view)
        }
        return pyNone
    }
}
