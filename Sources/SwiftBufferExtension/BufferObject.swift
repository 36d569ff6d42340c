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
        let raw = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
        return unsafe try body(Unmanaged<SwiftMemory>.fromOpaque(raw).takeUnretainedValue())
    }
}

/// Wraps `memory` in a new swiftbuf.Buffer object (the object takes a reference).
func makeBufferObject(_ memory: SwiftMemory, type: UnsafeMutablePointer<PyTypeObject>? = nil) -> PyObjectRef? {
    let type = unsafe type ?? swiftbuf_buffer_type()!
    guard let object = unsafe swiftbuf_tp_alloc(type)(type, 0) else { return nil }
    unsafe object.withMemoryRebound(to: swiftbuf_BufferObject.self, capacity: 1) {
        unsafe $0.pointee.memory = unsafe Unmanaged.passRetained(memory).toOpaque()
        unsafe $0.pointee.weakreflist = nil
    }
    return unsafe object
}

private let newSignature = ClinicSignature("Buffer", "shape\0format\0order\0readonly", count: 4, required: 1, positional: 2)
private let frombytesSignature = ClinicSignature("frombytes", "data\0format\0shape\0order\0readonly", count: 5, required: 1, positional: 3)

/// `order=` of the constructors and exports: how the data is laid out in memory.
func orderArgument(_ o: PyObjectRef?) throws(PythonError) -> Layout.Order {
    guard let o = unsafe o else { return .c }
    let s = unsafe try strArgument(o, name: "order")
    if s.count == 1, let order = unsafe Layout.Order(s[0]), order != .any { return order }
    throw .valueError(unsafe "order must be 'C' or 'F', not \(SwiftBufferError.pythonRepr(s))")
}

/// The format argument's UTF-8, borrowed from the str (which the caller's arguments hold), or
/// "B" when not given.
func formatArgument(_ o: PyObjectRef?) throws(PythonError) -> UnsafeBufferPointer<UInt8> {
    guard let o = unsafe o else { return unsafe UnsafeBufferPointer(start: defaultFormat.utf8Start, count: defaultFormat.utf8CodeUnitCount) }
    return unsafe try strArgument(o, name: "format")
}

private let defaultFormat: StaticString = "B"

func typeName(_ o: PyObjectRef) -> String {
    unsafe String(cString: swiftbuf_Py_TYPE(o).pointee.tp_name)
}

@_cdecl("swiftbuf_buffer_new")
func bufferNew(_ type: UnsafeMutablePointer<PyTypeObject>, _ args: PyObjectRef, _ kwargs: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in unsafe try newBuffer(newSignature.arguments(tuple: args, dict: kwargs), type: type) }
}

/// `Buffer(...)`, the type's vectorcall: the arguments as the interpreter passes them.
@_cdecl("swiftbuf_buffer_vectorcall")
func bufferVectorcall(_ type: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargsf: UInt, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let a = unsafe try newSignature.arguments(args, vectorcallArgumentCount(nargsf), kwnames)
        return unsafe try newBuffer(a, type: type.withMemoryRebound(to: PyTypeObject.self, capacity: 1) { unsafe $0 })
    }
}

private func newBuffer(_ a: ClinicArguments, type: UnsafeMutablePointer<PyTypeObject>) throws(PythonError) -> PyObjectRef? {
    let format = unsafe try formatArgument(a[1]), order = unsafe try orderArgument(a[2])
    return unsafe try withShapeArgument(a[0]!, format: format) { shape throws(PythonError) in
        let readonly = unsafe try a[3].map { o throws(PythonError) in unsafe try isTrue(o) } ?? false
        let memory = try core { () throws(SwiftBufferError) in
            try unsafe SwiftMemory(zeroedShape: shape, format: format, order: order, readonly: readonly, allocator: .python)
        }
        return unsafe makeBufferObject(memory, type: type)
    }
}

@_cdecl("swiftbuf_buffer_frombytes")
func bufferFrombytes(_ type: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let a = unsafe try frombytesSignature.arguments(args, nargs, kwnames)
        let format = unsafe try formatArgument(a[1]), order = unsafe try orderArgument(a[3])
        let type = unsafe type.withMemoryRebound(to: PyTypeObject.self, capacity: 1) { unsafe $0 }
        // The rest once the shape is known (nil: none given), inside the shape's scratch.
        func finish(_ shape: UnsafeBufferPointer<Int>?) throws(PythonError) -> PyObjectRef? {
            let readonly = unsafe try a[4].map { o throws(PythonError) in unsafe try isTrue(o) } ?? false
            return unsafe try bufferCopying(a[0]!, request: .simple, format: format, shape: shape, order: order, readonly: readonly, type: type)
        }
        guard let shapeArgument = unsafe a[2], unsafe shapeArgument != swiftbuf_Py_None() else { return unsafe try finish(nil) }
        return unsafe try withShapeArgument(shapeArgument, format: format) { shape throws(PythonError) in unsafe try finish(shape) }
    }
}

/// A new Buffer of `type` holding a copy of the bytes `data` exports for `request`, laid out as
/// `order` says (`frombytes`, and unpickling).
func bufferCopying(_ data: PyObjectRef, request: BufferRequest, format: UnsafeBufferPointer<UInt8>, shape: UnsafeBufferPointer<Int>?,
                   order: Layout.Order,
                   readonly: Bool, type: UnsafeMutablePointer<PyTypeObject>) throws(PythonError) -> PyObjectRef? {
    let held = unsafe try HeldBuffer(from: data, request: request)
    let d = unsafe held.descriptor
    let memory = try core { () throws(SwiftBufferError) in
        unsafe try SwiftMemory(copying: UnsafeRawBufferPointer(start: d.buf, count: d.len), format: format, shape: shape,
                        order: order, readonly: readonly, allocator: .python)
    }
    return unsafe makeBufferObject(memory, type: type)
}

@_cdecl("swiftbuf_buffer_dealloc")
func bufferDealloc(_ object: PyObjectRef) {
    let type = unsafe swiftbuf_Py_TYPE(object)!
    let fields = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self)
    if unsafe fields.pointee.weakreflist != nil { unsafe PyObject_ClearWeakRefs(object) }
    if let memory = unsafe fields.pointee.memory {
        unsafe Unmanaged<SwiftMemory>.fromOpaque(memory).release()
        unsafe fields.pointee.memory = nil
    }
    unsafe swiftbuf_tp_free(type)(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

// The hot path: no allocation, no reference counting on the Swift side, one table of checks.
// `unowned(unsafe)` instead of `_withUnsafeGuaranteedRef { ... }`: the optimiser kept that
// closure out of line (a second call, a second frame, every descriptor field spilled), 29 of
// 158 instructions per export under callgrind. Safe because the object owns the memory for
// its whole life and the caller holds the object for the duration of this call.
@_cdecl("swiftbuf_buffer_getbuffer")
func bufferGetbuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>, _ flags: Int32) -> Int32 {
    let raw = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    unowned(unsafe) let memory = unsafe Unmanaged<SwiftMemory>.fromOpaque(raw).takeUnretainedValue()
    let request = BufferRequest(rawValue: flags)
    // The refusal raised out of line, as in memoryview's getbuffer: no saved registers for a
    // throw on the success path.
    if let refusal = unsafe ExportRules.refusal(of: request, readonly: memory.descriptor.readonly, contiguity: memory.contiguity) {
        unsafe view.pointee.obj = nil
        return raisingInt(.core(ExporterVoice.buffer.refuse(refusal)))
    }
    unsafe view.fill(ExportRules.granted(request, base: memory.descriptor), exporter: object)
    unsafe memory.exports.opened()
    return 0
}

@_cdecl("swiftbuf_buffer_releasebuffer")
func bufferReleasebuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>) {
    let raw = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    unsafe Unmanaged<SwiftMemory>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.exports.closed() }
}

@_cdecl("swiftbuf_buffer_length")
func bufferLength(_ object: PyObjectRef) -> Int {
    let raw = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    unowned(unsafe) let memory = unsafe Unmanaged<SwiftMemory>.fromOpaque(raw).takeUnretainedValue()
    let d = unsafe memory.descriptor
    return d.ndim == 0 ? 1 : d.extent(0)
}

/// A getter that reads the object's memory. The entry points are `@inline(never)`, as
/// memoryview's getters are (its `attribute` says why), and each ends in a jump to the
/// constructor of its result. The memory is borrowed through `withMemory`: a
/// `takeUnretainedValue` (as `SwiftMemory.of` gives) was retained and released around the
/// constructor's call, 83 instructions for `b.itemsize` against memory_itemsize_get's 29, and
/// 1.13-1.20x the builtin's getters wall-clock.
@inline(__always)
private func attribute(_ o: PyObjectRef, _ body: (SwiftMemory) -> PyObjectRef?) -> PyObjectRef? {
    unsafe withMemory(o, body)
}

@_cdecl("swiftbuf_buffer_get_shape") @inline(never)
func bufferShape(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe intTuple(m.descriptor.shape, m.descriptor.ndim) }
}
@_cdecl("swiftbuf_buffer_get_strides") @inline(never)
func bufferStrides(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe intTuple(m.descriptor.strides, m.descriptor.ndim) }
}
@_cdecl("swiftbuf_buffer_get_format") @inline(never)
func bufferFormat(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe PyUnicode_FromString(m.descriptor.format) }
}
@_cdecl("swiftbuf_buffer_get_itemsize") @inline(never)
func bufferItemsize(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe PyLong_FromSsize_t(m.descriptor.itemsize) }
}
@_cdecl("swiftbuf_buffer_get_ndim") @inline(never)
func bufferNdim(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe PyLong_FromLong(m.descriptor.ndim) }
}
@_cdecl("swiftbuf_buffer_get_nbytes") @inline(never)
func bufferNbytes(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe PyLong_FromSsize_t(m.descriptor.len) }
}
@_cdecl("swiftbuf_buffer_get_readonly") @inline(never)
func bufferReadonly(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe pyBool(m.descriptor.readonly) }
}
@_cdecl("swiftbuf_buffer_get_exports") @inline(never)
func bufferExports(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe PyLong_FromSsize_t(m.exports.live) }
}
@_cdecl("swiftbuf_buffer_get_c_contiguous") @inline(never)
func bufferCContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe pyBool(m.contiguity.contains(.c)) }
}
@_cdecl("swiftbuf_buffer_get_f_contiguous") @inline(never)
func bufferFContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { m in unsafe pyBool(m.contiguity.contains(.fortran)) }
}

/// A method that reads the object's memory and may raise.
@inline(__always)
private func method(_ object: PyObjectRef, _ body: (SwiftMemory) throws(PythonError) -> PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in unsafe try SwiftMemory.of(object, body) }
}

/// memoryview's `tobytes` (its arguments, order and copy) on the Buffer's own layout.
@_cdecl("swiftbuf_buffer_tobytes")
func bufferTobytes(_ o: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    unsafe method(o) { m throws(PythonError) in
        let order = unsafe try tobytesOrderArgument(args, nargs, kwnames)
        let resolved = unsafe order == nil ? .c : try core { () throws(SwiftBufferError) in unsafe try MemoryView.bytesOrder(order) }
        let view = MemoryView(layout: m.descriptor, contiguity: m.contiguity)
        let bytes = unsafe try checked(PyBytes_FromStringAndSize(nil, view.layout.len))
        unsafe view.copyBytes(into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(bytes)), order: resolved)
        return unsafe bytes
    }
}

private let resizeSignature = ClinicSignature("resize", "shape", count: 1, required: 1, positional: 1, positionalOnly: 1)

@_cdecl("swiftbuf_buffer_resize")
func bufferResize(_ o: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    unsafe method(o) { m throws(PythonError) in
        let a = unsafe try resizeSignature.arguments(args, nargs, kwnames)
        // The format copied: converting the shape runs Python code, which may resize the Buffer.
        return unsafe try withShapeArgument(a[0]!, format: m.format) { shape throws(PythonError) in
            try core { () throws(SwiftBufferError) in try unsafe m.resize(shape: shape) }
            return unsafe pyNone
        }
    }
}

/// memoryview's `tolist` on the Buffer's own layout: the walk and element conversions of
/// memoryview's (`nestedList`), with an export pinned while it runs, as a view would hold one
/// (a list's allocation can run a collection, and a finalizer a resize). A view of the Buffer
/// per call made `b.tolist()` of 4 doubles 1.7x the builtin's. A format memoryview cannot
/// read goes through a view, for memoryview's error (or its empty lists).
@_cdecl("swiftbuf_buffer_tolist")
func bufferTolist(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    let list = unsafe withMemory(o) { m -> PyObjectRef?? in
        let d = m.descriptor
        guard let character = unsafe MemoryView.formatCharacter(of: d.format),
              let code = try? MemoryView.elementCode(character) else { return unsafe .none }
        if d.ndim == 0 { return unsafe unpackedElement(d.buf!, character) }
        do throws(PythonError) {
            return unsafe try m.withPinnedExport { () throws(PythonError) in
                unsafe try nestedList(d, at: d.buf!, code: code, checking: nil)
            }
        } catch {
            error.raise()
            return unsafe .some(nil)
        }
    }
    if let list = unsafe list { return unsafe list }
    return unsafe tolistThroughView(o)
}

@inline(never)
private func tolistThroughView(_ o: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let view = unsafe try MemoryViewObject.make(from: o).object
        defer { unsafe decref(view) }
        return unsafe memoryviewTolist(view, nil)
    }
}
