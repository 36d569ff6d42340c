// swiftbuf.Buffer as a Python container: len, item get/set, slicing, iteration, `in`, ==, hash,
// repr, __sizeof__. Each operation is memoryview's: it runs the swiftbuf.MemoryView slot on a
// view of the Buffer (same results, same messages), so there is one implementation of indexing,
// slicing, assignment and comparison. Two paths skip the temporary view because they are the
// common ones and a view costs two objects: a key naming one element (an index of a 1-d
// Buffer, a tuple of indices, a 0-d Buffer's `()`; an export is held while Python code can run
// in the key's or the value's conversion, as the view would hold one), and a slice, made as a
// view of a new managed buffer directly (what memoryview's own slicing does after its view
// exists).
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

/// Runs a swiftbuf.MemoryView slot on a new view of the Buffer `o`.
@inline(__always)
private func onView<R>(_ o: PyObjectRef, _ failure: R, _ body: (PyObjectRef) -> R) -> R {
    do throws(PythonError) {
        let view = unsafe try MemoryViewObject.make(from: o).object
        defer { unsafe decref(view) }
        return unsafe body(view)
    } catch {
        error.raise()
        return failure
    }
}

/// `body` with the Buffer's SwiftMemory borrowed for the call: the object owns it and the
/// caller holds the object, so no reference is counted. The item store through it: callgrind
/// 189 instructions per `b[7] = 5` (the builtin memoryview's memory_ass_sub: 204-210), where a
/// `takeUnretainedValue` kept `unowned(unsafe)` was retained and released around each use and
/// cost 312 (wall-clock 1.31x the builtin -> 0.95-0.97x). The read keeps `memoryOf`: through
/// this it measured 187 against 159.
@inline(__always)
func withMemory<R>(_ o: PyObjectRef, _ body: (SwiftMemory) -> R) -> R {
    unsafe unmanagedMemory(o)._withUnsafeGuaranteedRef(body)
}

/// The SwiftMemory a Buffer object owns (it lives as long as the object).
@inline(__always)
func memoryOf(_ o: PyObjectRef) -> SwiftMemory {
    unsafe unmanagedMemory(o).takeUnretainedValue()
}

@inline(__always)
private func unmanagedMemory(_ o: PyObjectRef) -> Unmanaged<SwiftMemory> {
    let raw = unsafe UnsafeMutableRawPointer(o).assumingMemoryBound(to: swiftbuf_BufferObject.self).pointee.memory!
    return unsafe Unmanaged<SwiftMemory>.fromOpaque(raw)
}

// MARK: - Indexing and slicing (memory_subscript, memory_ass_sub)

/// The address of the element `key` names where memoryview resolves it without a view
/// (memory_subscript, memory_item_multi, memory_ass_sub; `ptr_from_index`, `ptr_from_tuple`
/// with the core's `lookup_dimension`): an index (`__index__`) of a 1-d Buffer, a tuple of
/// `ndim` of them (`()` for a 0-d Buffer), and for a store a 0-d Buffer's `...`. nil for any
/// other key, which then goes through a view and gets whatever memoryview raises for it; no
/// Python code has run by then.
///
/// Each index is converted, then looked up, one dimension at a time, so an IndexError on one
/// wins over a bad index after it; an index out of bounds, or one beyond Py_ssize_t, throws
/// memoryview's IndexError. An exact int converts without running Python code. Any other
/// index goes through `pinnedIndex`, `PyNumber_AsSsize_t` with an export held meanwhile, as a
/// view would hold one: a resize from its `__index__` is refused, and since only conversions
/// run Python code, the layout read before the first holds after the last.
@inline(__always)
private func elementAddress(_ view: MemoryView, _ key: PyObjectRef, store: Bool,
                            pinnedIndex: (PyObjectRef) -> Int?) throws(PythonError) -> UnsafeMutableRawPointer? {
    @inline(__always) func index(_ item: PyObjectRef) throws(PythonError) -> Int {
        // Any int, subclasses (bool) included: `PyNumber_AsSsize_t` reads an int's value without
        // calling its `__index__`, so no Python code runs and nothing needs pinning (`b[True]`
        // paid the pin: 305 instructions against `m[True]`'s 273).
        if unsafe swiftbuf_PyLong_Check(item) != 0 {
            let i = unsafe PyLong_AsSsize_t(item)
            if unsafe i != -1 || PyErr_Occurred() == nil { return i }
            PyErr_Clear()
            return unsafe try indexValue(item)   // raises PyNumber_AsSsize_t's IndexError
        }
        guard let i = unsafe pinnedIndex(item) else { throw .alreadySet }
        return i
    }
    let ndim = view.ndim
    var p = unsafe view.layout.buf.unsafelyUnwrapped   // every Buffer has a base
    guard unsafe swiftbuf_PyTuple_Check(key) != 0 else {
        if unsafe store && ndim == 0 && key == swiftbuf_Py_Ellipsis() { return unsafe p }
        guard unsafe ndim == 1 && (swiftbuf_PyLong_CheckExact(key) != 0 || swiftbuf__PyIndex_Check(key) != 0) else { return nil }
        let i = unsafe try index(key)
        return unsafe try core { () throws(SwiftBufferError) in unsafe try view.pointer(from: p, dimension: 0, index: i) }
    }
    guard unsafe swiftbuf_PyTuple_GET_SIZE(key) == ndim else { return nil }
    for d in 0..<ndim {   // is_multiindex, with an exact int's test first
        let item: PyObjectRef = unsafe swiftbuf_PyTuple_GET_ITEM(key, d)
        if unsafe swiftbuf_PyLong_CheckExact(item) == 0 && swiftbuf__PyIndex_Check(item) == 0 { return nil }
    }
    for d in 0..<ndim {
        let i = unsafe try index(swiftbuf_PyTuple_GET_ITEM(key, d))
        unsafe p = unsafe try core { () throws(SwiftBufferError) in unsafe try view.pointer(from: p, dimension: d, index: i) }
    }
    return unsafe p
}

/// `PyNumber_AsSsize_t(key, PyExc_IndexError)` with an export of the Buffer `o` held, out of
/// line: pinning in the read's own body made the compiler retain and release the memory
/// object around its descriptor read (`b[7]`: 172 -> 226 instructions).
@inline(never)
private func pinnedIndex(_ o: PyObjectRef, _ key: PyObjectRef) -> Int? {
    unsafe withMemory(o) { m in m.withPinnedExport { unsafe convertedIndex(key) } }
}

@_cdecl("swiftbuf_buffer_subscript")
func bufferSubscript(_ o: PyObjectRef, _ key: PyObjectRef) -> PyObjectRef? {
    // Safe as in bufferGetbuffer: the object owns the memory and the caller holds the object.
    unowned(unsafe) let m = unsafe memoryOf(o)
    // A slice first: a view of the Buffer's one export, made without a view of the whole
    // (the element path's lookup, tried first, cost a slice ~60 instructions of ~1400).
    if unsafe swiftbuf_PySlice_Check(key) != 0 && m.ndim > 0 {
        return unsafe pythonCall { () throws(PythonError) in
            let mbuf = unsafe try ManagedBuffer.make(from: o, request: .fullRO)
            defer { unsafe decref(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self)) }
            return unsafe try MemoryViewObject.sliceView(mbuf, ManagedBuffer.master(mbuf), by: key)
        }
    }
    if let character = unsafe MemoryView.formatCharacter(of: m.descriptor.format) {
        // memoryview's own lookup and unpack_single on the Buffer's layout.
        let view = unsafe MemoryView(layout: m.descriptor, contiguity: m.contiguity)
        do throws(PythonError) {
            // unpackedElement raises out of line: no error registers live across the conversion.
            if let p = unsafe try elementAddress(view, key, store: false, pinnedIndex: { unsafe pinnedIndex(o, $0) }) {
                return unsafe unpackedElement(p, character)
            }
        } catch {
            error.raise()
            return nil
        }
    }
    return unsafe onView(o, nil) { unsafe memoryviewSubscript($0, key) }
}

@_cdecl("swiftbuf_buffer_ass_subscript")
func bufferAssSubscript(_ o: PyObjectRef, _ key: PyObjectRef, _ value: PyObjectRef?) -> Int32 {
    if let value = unsafe value, let stored = unsafe withMemory(o, { m in unsafe plainStore(m, key, value) }) {
        return stored
    }
    return unsafe storeThroughView(o, key, value)
}

/// Every other store, through a view, which holds an export while the value converts. Out of
/// line, so that the common store's frame stays small: inlined, it made `b[()] = v` save six
/// registers and call its element store as a closure (31 of its 147 instructions).
@inline(never)
private func storeThroughView(_ o: PyObjectRef, _ key: PyObjectRef, _ value: PyObjectRef?) -> Int32 {
    unsafe onView(o, -1) { unsafe memoryviewAssSubscript($0, key, value) }
}

/// memoryview's store (pack_single) of an element named by a key `elementAddress` resolves, on the Buffer's own layout: 0 or -1 (exception set), nil for a key
/// or a Buffer that goes through a view. The key's and the value's conversions may run Python code: an
/// export is held meanwhile, so a resize from there is refused and the address stays good.
@inline(__always)
private func plainStore(_ m: SwiftMemory, _ key: PyObjectRef, _ value: PyObjectRef) -> Int32? {
    guard !m.readonly, let character = unsafe MemoryView.formatCharacter(of: m.descriptor.format) else { return nil }
    let view = MemoryView(layout: m.descriptor, contiguity: m.contiguity)
    do throws(PythonError) {
        let pinned = { (key: PyObjectRef) in m.withPinnedExport { unsafe convertedIndex(key) } }
        guard let p = unsafe try elementAddress(view, key, store: true, pinnedIndex: pinned) else { return nil }
        try m.withPinnedExport { () throws(PythonError) in unsafe try packElement(nil, p, value, character) }
        return 0
    } catch {
        error.raise()
        return -1
    }
}

// MARK: - Iteration, comparison, hash

@_cdecl("swiftbuf_buffer_iter")
func bufferIter(_ o: PyObjectRef) -> PyObjectRef? {
    // A 1-d Buffer of a format memoryview reads: an iterator over the Buffer itself. Anything
    // else goes through a view, for memoryview's refusals; that iterator keeps the view (and
    // its export), as this one keeps a counted export: no resize while iterating.
    if let character = unsafe iterableCharacter(o) {
        return unsafe withMemory(o) { unsafe makeBufferIterator(o, $0, character) }
    }
    return unsafe onView(o, nil) { unsafe memoryviewIter($0) }
}

/// The format character of a 1-d Buffer whose elements the Buffer iterator reads; nil
/// otherwise.
@inline(__always)
private func iterableCharacter(_ o: PyObjectRef) -> UInt8? {
    unsafe withMemory(o) { m in
        guard m.descriptor.ndim == 1, let character = unsafe MemoryView.formatCharacter(of: m.descriptor.format),
              let code = ElementCodec.Code(ascii: character), code != .half else { return nil }
        return character
    }
}

/// What iterating a view of the Buffer gives, without making the view (its managed buffer and
/// export were most of `iter(b)`'s cost: 1.99x the builtin's `iter(m)`): the iterator walks
/// the Buffer's 1-d layout with an export counted, so the layout cannot change under it.
private func makeBufferIterator(_ buffer: PyObjectRef, _ memory: SwiftMemory, _ character: UInt8) -> PyObjectRef? {
    // Not tracked by the collector: it holds only a Buffer, which is not a GC type (what it
    // holds, a C-API context or a DLPack manager, the collector never sees), so no cycle the
    // collector could find runs through it (tracking and untracking it were 31 of iter(b)'s
    // instructions over iter(m)'s).
    let raw: PyObjectRef
    do throws(PythonError) {
        unsafe raw = unsafe try newPlainObject(swiftbuf_bufferiterator_type(), size: MemoryLayout<swiftbuf_BufferIteratorObject>.size)
    } catch {
        error.raise()
        return nil
    }
    let it = unsafe UnsafeMutableRawPointer(raw).assumingMemoryBound(to: swiftbuf_BufferIteratorObject.self)
    let layout = memory.descriptor
    unsafe it.pointee.next = unsafe layout.buf?.assumingMemoryBound(to: CChar.self)
    unsafe it.pointee.left = layout.extent(0)
    unsafe it.pointee.stride = layout.stride(0)
    unsafe it.pointee.code = Int32(character)
    memory.exports.opened()
    unsafe it.pointee.buffer = unsafe newReference(buffer)
    return unsafe raw
}

@inline(__always)
private func bufferIterator(_ object: PyObjectRef) -> UnsafeMutablePointer<swiftbuf_BufferIteratorObject> {
    unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_BufferIteratorObject.self)
}

/// Drops the iterator's Buffer and gives back the export it counted: the one place that
/// closes it, reached once (the field is cleared first).
private func dropBuffer(_ it: UnsafeMutablePointer<swiftbuf_BufferIteratorObject>) {
    guard let buffer = unsafe it.pointee.buffer else { return }
    unsafe it.pointee.buffer = nil
    unsafe memoryOf(buffer).exports.closed()
    unsafe decref(buffer)
}

@_cdecl("swiftbuf_bufferiterator_next")
func bufferIteratorNext(_ object: PyObjectRef) -> PyObjectRef? {
    let it = unsafe bufferIterator(object)
    let left = unsafe it.pointee.left
    if left <= 0 { return unsafe bufferIteratorExhausted(it) }
    let p = unsafe it.pointee.next.unsafelyUnwrapped
    unsafe it.pointee.next = unsafe p + it.pointee.stride
    unsafe it.pointee.left = left &- 1
    // Made for a character memoryview reads (`iterableCharacter`).
    let code = unsafe ElementCodec.Code(ascii: UInt8(truncatingIfNeeded: it.pointee.code)).unsafelyUnwrapped
    return unsafe elementObject(code, UnsafeMutableRawPointer(p))   // nil: the allocation's MemoryError is set
}

@inline(never)
private func bufferIteratorExhausted(_ it: UnsafeMutablePointer<swiftbuf_BufferIteratorObject>) -> PyObjectRef? {
    unsafe dropBuffer(it)
    return nil
}

@_cdecl("swiftbuf_bufferiterator_dealloc")
func bufferIteratorDealloc(_ object: PyObjectRef) {
    let type = unsafe swiftbuf_Py_TYPE(object)!
    unsafe dropBuffer(bufferIterator(object))
    unsafe PyObject_Free(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

@_cdecl("swiftbuf_buffer_richcompare")
func bufferRichcompare(_ o: PyObjectRef, _ other: PyObjectRef, _ op: Int32) -> PyObjectRef? {
    guard op == Py_EQ || op == Py_NE else { return unsafe newReference(swiftbuf_Py_NotImplemented()) }
    if unsafe swiftbuf_Py_TYPE(other) == swiftbuf_buffer_type() {
        // Two Buffers of the same native format: memoryview's comparison (`memory_richcompare`
        // for that case) in the core, no view and no Python code.
        let v = unsafe memoryOf(o).descriptor, w = unsafe memoryOf(other).descriptor
        if let code = unsafe ElementCodec.Code(memoryviewFormat: v.formatBytes), unsafe code == ElementCodec.Code(memoryviewFormat: w.formatBytes) {
            let equal = Layout.equivalentShapes(v, w) && MemoryView.elementsEqual(v, w, code: code)
            return unsafe pyBool(equal == (op == Py_EQ))
        }
    }
    return unsafe onView(o, nil) { unsafe memoryviewRichcompare($0, other, op) }
}

/// A read-only Buffer hashes as a read-only memoryview of it (the hash of its bytes in C
/// order, formats 'B', 'b' and 'c' only); a writable one is unhashable, as a writable view is.
/// Not cached: Swift code may write read-only memory through its own API.
@_cdecl("swiftbuf_buffer_hash")
func bufferHash(_ o: PyObjectRef) -> Py_hash_t {
    unowned(unsafe) let m = unsafe memoryOf(o)
    do throws(PythonError) {
        let view = unsafe MemoryView(layout: m.descriptor, contiguity: m.contiguity)
        do throws(SwiftBufferError) { try view.checkHashable() } catch {
            throw unsafe .valueError(m.readonly ? "swiftbuf.Buffer: hashing is restricted to formats 'B', 'b' or 'c'"
                                         : "cannot hash writable swiftbuf.Buffer object")
        }
        if view.isCContiguous { return unsafe _Py_HashBytes(view.layout.buf, view.layout.len) }
        let copy = unsafe try temporary(view.layout.len)
        defer { unsafe PyMem_Free(copy) }
        unsafe view.copyBytes(into: copy, order: .c)
        return unsafe _Py_HashBytes(copy, view.layout.len)
    } catch {
        error.raise()
        return -1
    }
}

// MARK: - Size and repr

@_cdecl("swiftbuf_buffer_sizeof")
func bufferSizeof(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    let m = unsafe memoryOf(o)
    return unsafe pyInt(swiftbuf_Py_TYPE(o).pointee.tp_basicsize + m.ownedByteCount)
}

@_cdecl("swiftbuf_buffer_repr")
func bufferRepr(_ o: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let m = unsafe memoryOf(o)
        let format = String(decoding: m.format, as: UTF8.self)
        let order = m.ndim > 1 && m.order == .fortran ? ", order='F'" : ""
        let ro = m.readonly ? ", readonly=True" : ""
        var text = "swiftbuf.Buffer(\(SwiftMemory.describe(m.shape)), \(SwiftBufferError.pythonRepr(Array(format.utf8)))\(order)\(ro)"
        if let data = try reprData(m) { text += ", data=" + data }
        return unsafe pyString(text + ")")
    }
}

/// The elements as repr shows them (nested lists, summarised when large), or nil when
/// memoryview cannot read elements of this format.
private func reprData(_ m: SwiftMemory) throws(PythonError) -> String? {
    guard let character = unsafe MemoryView.formatCharacter(of: m.descriptor.format),
          (try? MemoryView.elementCode(character)) != nil else { return nil }
    let view = MemoryView(layout: m.descriptor, contiguity: m.contiguity)
    let summarize = m.reprSummarizes
    var out = ""
    func element(_ p: UnsafeMutableRawPointer) throws(PythonError) {
        let item = unsafe try unpackElement(p, character)
        defer { unsafe decref(item) }
        let repr = unsafe try checked(PyObject_Repr(item))
        defer { unsafe decref(repr) }
        unsafe out += String(decoding: try utf8(repr), as: UTF8.self)
    }
    func level(_ p: UnsafeMutableRawPointer, _ dim: Int) throws(PythonError) {
        if dim == view.ndim { return unsafe try element(p) }
        out += "["
        var first = true
        for index in unsafe SwiftMemory.reprIndices(extent: view.layout.shape![dim], summarize: summarize) {
            if !first { out += ", " }
            first = false
            guard let i = index else { out += "..."; continue }
            unsafe try level(try core { () throws(SwiftBufferError) in unsafe try view.pointer(from: p, dimension: dim, index: i) }, dim + 1)
        }
        out += "]"
    }
    unsafe try level(view.layout.buf!, 0)
    return out
}
