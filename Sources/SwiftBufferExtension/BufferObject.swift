// swiftbuf.Buffer: Swift-owned memory exported to Python. The type spec is in
// Sources/pyext/buffer_type.c; every slot lands here.
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

typealias BufferObjectPointer = UnsafeMutablePointer<swiftbuf_BufferObject>

extension SwiftMemory {
    /// The memory behind a swiftbuf.Buffer object, borrowed for the duration of `body` without
    /// reference counting (the object keeps it alive).
    @inline(__always)
    static func of<R>(_ object: PyObjectRef, _ body: (SwiftMemory) throws(PythonError) -> R) throws(PythonError) -> R {
        let raw = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
        return try body(Unmanaged<SwiftMemory>.fromOpaque(raw).takeUnretainedValue())
    }
}

/// Wraps `memory` in a new swiftbuf.Buffer object (the object takes a reference).
func makeBufferObject(_ memory: SwiftMemory, type: UnsafeMutablePointer<PyTypeObject>? = nil) -> PyObjectRef? {
    let type = type ?? swiftbuf_buffer_type()!
    guard let object = swiftbuf_tp_alloc(type)(type, 0) else { return nil }
    object.withMemoryRebound(to: swiftbuf_BufferObject.self, capacity: 1) {
        $0.pointee.memory = Unmanaged.passRetained(memory).toOpaque()
        $0.pointee.weakreflist = nil
    }
    return object
}

private let newSignature = ClinicSignature("Buffer", "shape\0format\0order\0readonly", count: 4, required: 1, positional: 2)
private let frombytesSignature = ClinicSignature("frombytes", "data\0format\0shape\0order\0readonly", count: 5, required: 1, positional: 3)

/// `order=` of the constructors and exports: how the data is laid out in memory.
func orderArgument(_ o: PyObjectRef?) throws(PythonError) -> Layout.Order {
    guard let o = o else { return .c }
    let s = try strArgument(o, name: "order")
    if s.count == 1, let order = Layout.Order(s[0]), order != .any { return order }
    throw .valueError("order must be 'C' or 'F', not \(SwiftBufferError.pythonRepr(s))")
}

func formatArgument(_ o: PyObjectRef?) throws(PythonError) -> [UInt8] {
    guard let o = o else { return [UInt8(ascii: "B")] }
    return Array(try strArgument(o, name: "format"))
}

func typeName(_ o: PyObjectRef) -> String {
    String(cString: swiftbuf_Py_TYPE(o).pointee.tp_name)
}

@_cdecl("swiftbuf_buffer_new")
func bufferNew(_ type: UnsafeMutablePointer<PyTypeObject>, _ args: PyObjectRef, _ kwargs: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in
        let a = try newSignature.arguments(tuple: args, dict: kwargs)
        let format = try formatArgument(a[1]), order = try orderArgument(a[2])
        let shape = try bufferShapeArgument(a[0]!, format: format)
        let readonly = try a[3].map { o throws(PythonError) in try isTrue(o) } ?? false
        let memory = try core { () throws(SwiftBufferError) in
            try SwiftMemory(zeroedShape: shape, format: format, order: order, readonly: readonly, allocator: .python)
        }
        return makeBufferObject(memory, type: type)
    }
}

@_cdecl("swiftbuf_buffer_frombytes")
func bufferFrombytes(_ type: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in
        let a = try frombytesSignature.arguments(args, nargs, kwnames)
        let format = try formatArgument(a[1]), order = try orderArgument(a[3])
        let shape = try a[2].flatMap { o throws(PythonError) in o == swiftbuf_Py_None() ? nil : try bufferShapeArgument(o, format: format) }
        let readonly = try a[4].map { o throws(PythonError) in try isTrue(o) } ?? false
        return try bufferCopying(a[0]!, request: .simple, format: format, shape: shape, order: order, readonly: readonly,
                                 type: type.withMemoryRebound(to: PyTypeObject.self, capacity: 1) { $0 })
    }
}

/// A new Buffer of `type` holding a copy of the bytes `data` exports for `request`, laid out as
/// `order` says (`frombytes`, and unpickling).
func bufferCopying(_ data: PyObjectRef, request: BufferRequest, format: [UInt8], shape: [Int]?, order: Layout.Order,
                   readonly: Bool, type: UnsafeMutablePointer<PyTypeObject>) throws(PythonError) -> PyObjectRef? {
    let held = try HeldBuffer(from: data, request: request)
    let d = held.descriptor
    let memory = try core { () throws(SwiftBufferError) in
        try SwiftMemory(copying: UnsafeRawBufferPointer(start: d.buf, count: d.len), format: format, shape: shape,
                        order: order, readonly: readonly, allocator: .python)
    }
    return makeBufferObject(memory, type: type)
}

@_cdecl("swiftbuf_buffer_dealloc")
func bufferDealloc(_ object: PyObjectRef) {
    let type = swiftbuf_Py_TYPE(object)!
    let fields = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self)
    if fields.pointee.weakreflist != nil { PyObject_ClearWeakRefs(object) }
    if let memory = fields.pointee.memory {
        Unmanaged<SwiftMemory>.fromOpaque(memory).release()
        fields.pointee.memory = nil
    }
    swiftbuf_tp_free(type)(UnsafeMutableRawPointer(object))
    decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

// The hot path: no allocation, no reference counting on the Swift side, one table of checks.
// `unowned(unsafe)` instead of `_withUnsafeGuaranteedRef { ... }`: the optimiser kept that
// closure out of line (a second call, a second frame, every descriptor field spilled), 29 of
// 158 instructions per export under callgrind. Safe because the object owns the memory for
// its whole life and the caller holds the object for the duration of this call.
@_cdecl("swiftbuf_buffer_getbuffer")
func bufferGetbuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>, _ flags: Int32) -> Int32 {
    let raw = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    unowned(unsafe) let memory = Unmanaged<SwiftMemory>.fromOpaque(raw).takeUnretainedValue()
    do throws(SwiftBufferError) {
        let answer = try ExportRules.answer(BufferRequest(rawValue: flags), base: memory.descriptor,
                                            contiguity: memory.contiguity, voice: .buffer)
        view.fill(answer, exporter: object)
        memory.exports.opened()
        return 0
    } catch {
        view.pointee.obj = nil
        PythonError(core: error).raise()
        return -1
    }
}

@_cdecl("swiftbuf_buffer_releasebuffer")
func bufferReleasebuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>) {
    let raw = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    Unmanaged<SwiftMemory>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.exports.closed() }
}

@_cdecl("swiftbuf_buffer_length")
func bufferLength(_ object: PyObjectRef) -> Int {
    let raw = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    unowned(unsafe) let memory = Unmanaged<SwiftMemory>.fromOpaque(raw).takeUnretainedValue()
    let d = memory.descriptor
    return d.ndim == 0 ? 1 : d.extent(0)
}

/// A getter that reads the object's memory.
@inline(__always)
private func getter(_ object: PyObjectRef, _ body: (SwiftMemory) throws(PythonError) -> PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in try SwiftMemory.of(object, body) }
}

@_cdecl("swiftbuf_buffer_get_shape")
func bufferShape(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyTuple(m.descriptor.shape, count: m.ndim) } }
@_cdecl("swiftbuf_buffer_get_strides")
func bufferStrides(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyTuple(m.descriptor.strides, count: m.ndim) } }
@_cdecl("swiftbuf_buffer_get_format")
func bufferFormat(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in PyUnicode_FromString(m.descriptor.format) } }
@_cdecl("swiftbuf_buffer_get_itemsize")
func bufferItemsize(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyInt(m.itemsize) } }
@_cdecl("swiftbuf_buffer_get_ndim")
func bufferNdim(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyInt(m.ndim) } }
@_cdecl("swiftbuf_buffer_get_nbytes")
func bufferNbytes(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyInt(m.byteCount) } }
@_cdecl("swiftbuf_buffer_get_readonly")
func bufferReadonly(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyBool(m.readonly) } }
@_cdecl("swiftbuf_buffer_get_exports")
func bufferExports(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyInt(m.exports.live) } }
@_cdecl("swiftbuf_buffer_get_c_contiguous")
func bufferCContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyBool(m.contiguity.contains(.c)) } }
@_cdecl("swiftbuf_buffer_get_f_contiguous")
func bufferFContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { getter(o) { m in pyBool(m.contiguity.contains(.fortran)) } }

private let tobytesSignature = ClinicSignature("tobytes", "order", count: 1, positional: 1)

@_cdecl("swiftbuf_buffer_tobytes")
func bufferTobytes(_ o: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    getter(o) { m throws(PythonError) in
        let a = try tobytesSignature.arguments(args, nargs, kwnames)
        var order = Layout.Order.c
        if let arg = a[0], arg != swiftbuf_Py_None() {
            guard swiftbuf_PyUnicode_Check(arg) != 0 else {
                throw .typeError("tobytes() argument 'order' must be str or None, not \(typeName(arg))")
            }
            let s = try utf8(arg)
            guard s.count == 1, let parsed = Layout.Order(s[0]) else {
                throw .valueError("order must be 'C', 'F' or 'A'")
            }
            order = parsed
        }
        guard let bytes = PyBytes_FromStringAndSize(nil, m.byteCount) else { throw .alreadySet }
        StridedCopy.gather(m.descriptor, into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(bytes)), order: order)
        return bytes
    }
}

private let resizeSignature = ClinicSignature("resize", "shape", count: 1, required: 1, positional: 1, positionalOnly: 1)

@_cdecl("swiftbuf_buffer_resize")
func bufferResize(_ o: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    getter(o) { m throws(PythonError) in
        let a = try resizeSignature.arguments(args, nargs, kwnames)
        let shape = try bufferShapeArgument(a[0]!, format: m.format)
        try core { () throws(SwiftBufferError) in try m.resize(shape: shape) }
        return pyNone
    }
}

@_cdecl("swiftbuf_buffer_tolist")
func bufferTolist(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    // The element codecs live with the memoryview; a Buffer's list is its swiftbuf.MemoryView's list.
    pythonCall { () throws(PythonError) in
        let view = try MemoryViewObject.make(from: o).object
        defer { decref(view) }
        return memoryviewTolist(view, nil)
    }
}
