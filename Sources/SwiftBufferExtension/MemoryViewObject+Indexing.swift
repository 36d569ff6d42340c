// MARK: - Indexing and slicing (memory_subscript, memory_item, memory_ass_sub, memory_length)
//
// The order of checks is memoryobject.c's, so that a key that is wrong in two ways raises
// the same of its two errors. Index conversion may run Python code (`__index__`) that
// releases the view; every path re-checks before it reads or writes (gh-92888).
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

/// `PyNumber_AsSsize_t(key, PyExc_IndexError)`.
@inline(__always)
private func indexValue(_ key: PyObjectRef) throws(PythonError) -> Int {
    let i = PyNumber_AsSsize_t(key, swiftbuf_PyExc_IndexError())
    if i == -1 && PyErr_Occurred() != nil { throw .alreadySet }
    return i
}

/// `is_multiindex`: a tuple of objects with `__index__` (the empty tuple included).
private func isMultiIndex(_ key: PyObjectRef) -> Bool {
    guard swiftbuf_PyTuple_Check(key) != 0 else { return false }
    for i in 0..<swiftbuf_PyTuple_GET_SIZE(key) where swiftbuf__PyIndex_Check(swiftbuf_PyTuple_GET_ITEM(key, i)) == 0 {
        return false
    }
    return true
}

/// `is_multislice`: a non-empty tuple of slices.
private func isMultiSlice(_ key: PyObjectRef) -> Bool {
    guard swiftbuf_PyTuple_Check(key) != 0 else { return false }
    let n = swiftbuf_PyTuple_GET_SIZE(key)
    if n == 0 { return false }
    for i in 0..<n where swiftbuf_PySlice_Check(swiftbuf_PyTuple_GET_ITEM(key, i)) == 0 { return false }
    return true
}

extension UnsafeMutablePointer where Pointee == swiftbuf_MemoryViewObject {
    /// `ptr_from_index`: the address of element `index` of dimension 0.
    @inline(__always)
    func pointer(at index: Int) throws(PythonError) -> UnsafeMutableRawPointer {
        let view = memoryView
        do throws(SwiftBufferError) { return try view.pointer(from: view.layout.buf!, dimension: 0, index: index) } catch {
            throw .core(error)
        }
    }

    /// `pointer(at:)` without following a suboffset, for a view that `__index__` released: its
    /// pointer table may be freed memory by now (CPython reads it). The bounds are still
    /// checked, so an IndexError wins as in CPython; the store's re-check reports the release.
    func unfollowedPointer(at index: Int) throws(PythonError) -> UnsafeMutableRawPointer {
        var view = memoryView
        view.layout.suboffsets = nil
        return try core { () throws(SwiftBufferError) in try view.pointer(from: view.layout.buf!, dimension: 0, index: index) }
    }

    /// `ptr_from_tuple`: converts the indices one at a time, looking each up as it goes. If an
    /// `__index__` releases the view, lookups go on with plain arithmetic (no suboffset is
    /// followed into memory that may be gone) so that a later IndexError still wins, and the
    /// caller's re-check reports the release.
    func pointer(fromTuple key: PyObjectRef) throws(PythonError) -> UnsafeMutableRawPointer {
        var view = memoryView
        let n = swiftbuf_PyTuple_GET_SIZE(key)
        if n > view.ndim { throw .typeError("cannot index \(view.ndim)-dimension view with \(n)-element tuple") }
        var p = view.layout.buf!
        for dim in 0..<n {
            let i = try indexValue(swiftbuf_PyTuple_GET_ITEM(key, dim))
            // Once released, a view stays released: from then on, plain arithmetic. (A second
            // copy of the view chosen per index cost ~140 instructions of m[i, j]'s ~520.)
            if view.layout.suboffsets != nil && isInaccessible { view.layout.suboffsets = nil }
            p = try core { () throws(SwiftBufferError) in try view.pointer(from: p, dimension: dim, index: i) }
        }
        return p
    }

    /// `memory_item`: the element at `index` of a 1-d view.
    @inline(__always)
    func item(_ index: Int) throws(PythonError) -> PyObjectRef {
        try checkReleased()
        let character = try formatCharacter()
        switch pointee.view.ndim {
        case 1: return try unpackElement(try pointer(at: index), character)   // no Python code ran since the check
        case 0: throw .typeError("invalid indexing of 0-dim memory")
        default: throw .notImplementedError("multi-dimensional sub-views are not implemented")
        }
    }

    /// A new view of the same export narrowed by `slice` along dimension 0. The view exists
    /// (and holds the export) before the slice's indices are converted.
    func sliced(_ slice: PyObjectRef) throws(PythonError) -> PyObjectRef {
        try MemoryViewObject.sliceView(pointee.mbuf!, buffer, by: slice)
    }
}

extension MemoryViewObject {
    /// A new view of `source` (exported through `mbuf`) narrowed by the Python `slice` along
    /// dimension 0: `view[slice]`, and `buffer[slice]` of a swiftbuf.Buffer. The view exists (and
    /// holds the export) before the slice's indices are converted: their __index__ may resize.
    static func sliceView(_ mbuf: ManagedBufferPointer, _ source: UnsafePointer<Py_buffer>,
                          by slice: PyObjectRef) throws(PythonError) -> PyObjectRef {
        let (result, layout) = try prepareView(mbuf, source)
        var start = 0, stop = 0, step = 0
        if PySlice_Unpack(slice, &start, &stop, &step) < 0 {
            decref(result.object)
            throw .alreadySet
        }
        narrow(result, layout, start: start, stop: stop, step: step)
        return result.object
    }

    /// `init_slice` + `init_len` + `init_flags` on a prepared view of dimension 0.
    @inline(__always)
    static func narrow(_ view: MemoryViewPointer, _ layout: BufferDescriptor, start: Int, stop: Int, step: Int) {
        var layout = layout
        MemoryView.slice(&layout, dimension: 0, start: start, stop: stop, step: step)
        view.install(layout)
    }
}

@_cdecl("swiftbuf_memoryview_subscript")
func memoryviewSubscript(_ object: PyObjectRef, _ key: PyObjectRef) -> PyObjectRef? {
    let mv = MemoryViewPointer(object)
    do throws(PythonError) {
        try mv.checkReleased()
        if mv.pointee.view.ndim != 0 && swiftbuf__PyIndex_Check(key) != 0 {
            return try mv.item(try indexValue(key))
        }
        return try lookup(mv, key)
    } catch {
        error.raise()
        return nil
    }
}

/// `memory_subscript` for every key but an index of an N-d view.
private func lookup(_ mv: MemoryViewPointer, _ key: PyObjectRef) throws(PythonError) -> PyObjectRef {
    let ndim = Int(mv.pointee.view.ndim)
    if ndim == 0 {
        if swiftbuf_PyTuple_Check(key) != 0 && swiftbuf_PyTuple_GET_SIZE(key) == 0 {
            let character = try mv.formatCharacter()
            return try unpackElement(mv, mv.pointee.view.buf!, character)
        }
        if key == swiftbuf_Py_Ellipsis() { return newReference(mv.object) }
        throw .typeError("invalid indexing of 0-dim memory")
    }
    if swiftbuf_PySlice_Check(key) != 0 {
        return try mv.sliced(key)
    }
    if isMultiIndex(key) {
        let character = try mv.formatCharacter()
        if swiftbuf_PyTuple_GET_SIZE(key) < ndim { throw .notImplementedError("sub-views are not implemented") }
        let p = try mv.pointer(fromTuple: key)
        return try unpackElement(mv, p, character)
    }
    if isMultiSlice(key) { throw .notImplementedError("multi-dimensional slicing is not implemented") }
    throw .typeError("memoryview: invalid slice key")
}

@_cdecl("swiftbuf_memoryview_item")
func memoryviewItem(_ object: PyObjectRef, _ index: Int) -> PyObjectRef? {
    do throws(PythonError) { return try MemoryViewPointer(object).item(index) } catch {
        error.raise()
        return nil
    }
}

@_cdecl("swiftbuf_memoryview_length")
func memoryviewLength(_ object: PyObjectRef) -> Int {
    let mv = MemoryViewPointer(object)
    do throws(PythonError) {
        try mv.checkReleased()
        return mv.pointee.view.ndim == 0 ? 1 : mv.pointee.view.shape![0]
    } catch {
        error.raise()
        return -1
    }
}

@_cdecl("swiftbuf_memoryview_ass_subscript")
func memoryviewAssSubscript(_ object: PyObjectRef, _ key: PyObjectRef, _ value: PyObjectRef?) -> Int32 {
    let mv = MemoryViewPointer(object)
    do throws(PythonError) {
        try mv.checkReleased()
        let character = try mv.formatCharacter()
        if mv.pointee.view.readonly != 0 { throw .typeError("cannot modify read-only memory") }
        guard let value = value else { throw .typeError("cannot delete memory") }
        if mv.pointee.view.ndim == 1 && swiftbuf__PyIndex_Check(key) != 0 {
            let index = try indexValue(key)
            let p = mv.isInaccessible ? try mv.unfollowedPointer(at: index) : try mv.pointer(at: index)
            try packElement(mv, p, value, character)
        } else {
            try assign(mv, key, value, character)
        }
        return 0
    } catch {
        error.raise()
        return -1
    }
}

/// `memory_ass_sub` for every key but an index of a 1-d view.
private func assign(_ mv: MemoryViewPointer, _ key: PyObjectRef, _ value: PyObjectRef, _ character: UInt8) throws(PythonError) {
    let ndim = Int(mv.pointee.view.ndim)
    if ndim == 0 {
        if key == swiftbuf_Py_Ellipsis() || (swiftbuf_PyTuple_Check(key) != 0 && swiftbuf_PyTuple_GET_SIZE(key) == 0) {
            return try packElement(mv, mv.pointee.view.buf!, value, character)
        }
        throw .typeError("invalid indexing of 0-dim memory")
    }
    if swiftbuf__PyIndex_Check(key) != 0 {
        throw .notImplementedError("sub-views are not implemented")   // ndim > 1
    }
    if swiftbuf_PySlice_Check(key) != 0 && ndim == 1 {
        return try assignSlice(mv, key, value)
    }
    if isMultiIndex(key) {
        if swiftbuf_PyTuple_GET_SIZE(key) < ndim { throw .notImplementedError("sub-views are not implemented") }
        let p = try mv.pointer(fromTuple: key)
        return try packElement(mv, p, value, character)
    }
    if swiftbuf_PySlice_Check(key) != 0 || isMultiSlice(key) {
        throw .notImplementedError("memoryview slice assignments are currently restricted to ndim = 1")
    }
    throw .typeError("memoryview: invalid slice key")
}

/// The 1-d slice assignment of `memory_ass_sub`: the right side must be an exporter with the
/// same format and shape as the slice; copies are safe when both sides share memory.
private func assignSlice(_ mv: MemoryViewPointer, _ key: PyObjectRef, _ value: PyObjectRef) throws(PythonError) {
    if isMemoryView(value) {
        // A view as the source: its own Py_buffer is what its getbuffer would answer a
        // PyBUF_FULL_RO request with. It is pinned as that export would pin it, while the
        // slice's indices convert (their __index__ may try to release it); a released view
        // fails as its getbuffer would. (The request and release cost ~150 instructions of a
        // ~600-instruction slice assignment under callgrind.)
        let w = MemoryViewPointer(value)
        try w.checkReleased()
        return try w.withPinnedExport { () throws(PythonError) in try assignSlice(mv, key, from: w.buffer) }
    }
    try HeldBuffer.withBorrowed(from: value, request: .fullRO) { source throws(PythonError) in
        try assignSlice(mv, key, from: source)
    }
}

/// The slice assignment once the source's buffer is held.
@inline(__always)
private func assignSlice(_ mv: MemoryViewPointer, _ key: PyObjectRef, from source: UnsafeMutablePointer<Py_buffer>) throws(PythonError) {
    // The slice of this view, described in local storage (shape, stride, suboffset).
    var arrays: (Int, Int, Int) = (0, 0, 0)
    try withUnsafeMutableBytes(of: &arrays) { raw throws(PythonError) in
        let storage = raw.baseAddress!.assumingMemoryBound(to: Int.self)
        var destination = mv.layout
        storage[0] = destination.shape![0]
        storage[1] = destination.strides![0]
        destination.shape = storage
        destination.strides = storage + 1
        if let sub = destination.suboffsets {
            storage[2] = sub[0]
            destination.suboffsets = storage + 2
        }
        var start = 0, stop = 0, step = 0
        if PySlice_Unpack(key, &start, &stop, &step) < 0 { throw .alreadySet }
        MemoryView.slice(&destination, dimension: 0, start: start, stop: stop, step: step)
        try mv.checkReleased()
        let sourceLayout = BufferDescriptor(source)
        let scratchSize = try core { () throws(SwiftBufferError) in try MemoryView.checkAssignment(sourceLayout, to: destination) }
        let scratch = scratchSize > 0 ? try temporary(scratchSize) : nil
        defer { if let scratch = scratch { PyMem_Free(scratch) } }
        MemoryView.assign(sourceLayout, to: destination, scratch: scratch)
    }
}

// MARK: - Iteration (memory_iter, memoryiter_next)

@_cdecl("swiftbuf_memoryview_iter")
func memoryviewIter(_ object: PyObjectRef) -> PyObjectRef? {
    do throws(PythonError) {
        let mv = MemoryViewPointer(object)
        // CPython 3.11 returns an iterator with the error of a released view still set
        // (iter() then raises SystemError, a for loop this ValueError); we raise the error.
        let character = try mv.iterationFormatCharacter()
        guard let raw = _PyObject_GC_New(swiftbuf_memoryiterator_type()) else { throw .alreadySet }
        let it = UnsafeMutableRawPointer(raw).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
        it.pointee.index = 0
        it.pointee.length = mv.pointee.view.shape![0]
        it.pointee.code = Int32(character)
        it.pointee.seq = MemoryViewPointer(newReference(object))
        PyObject_GC_Track(raw)
        return raw
    } catch {
        error.raise()
        return nil
    }
}

@_cdecl("swiftbuf_memoryiterator_next")
func memoryIteratorNext(_ object: PyObjectRef) -> PyObjectRef? {
    let it = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    guard let seq = it.pointee.seq else { return nil }
    let i = it.pointee.index
    if i < it.pointee.length {
        do throws(PythonError) {
            try seq.checkReleased()
            it.pointee.index = i + 1
            // A 1-d view always has a base and strides (the iterator was made from one).
            let view = seq.buffer
            let p = Layout.address(i, of: view.pointee.buf.unsafelyUnwrapped, stride: view.pointee.strides.unsafelyUnwrapped[0],
                                   suboffsets: view.pointee.suboffsets, dimension: 0)
            return try unpackElement(p, UInt8(truncatingIfNeeded: it.pointee.code))
        } catch {
            error.raise()
            return nil
        }
    }
    it.pointee.seq = nil
    decref(seq.object)
    return nil
}

/// The builtin iterator cannot be pickled (it is a static type without tp_new); a heap type
/// would otherwise reduce through copyreg with protocols 0 and 1.
@_cdecl("swiftbuf_memoryiterator_reduce")
func memoryIteratorReduce(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in throw .typeError("cannot pickle 'memory_iterator' object") }
}

@_cdecl("swiftbuf_memoryiterator_dealloc")
func memoryIteratorDealloc(_ object: PyObjectRef) {
    let it = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    let type = swiftbuf_Py_TYPE(object)!
    PyObject_GC_UnTrack(UnsafeMutableRawPointer(object))
    if let seq = it.pointee.seq { decref(seq.object) }
    PyObject_GC_Del(UnsafeMutableRawPointer(object))
    decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

@_cdecl("swiftbuf_memoryiterator_traverse")
func memoryIteratorTraverse(_ object: PyObjectRef, _ visit: visitproc?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    let it = UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    if let seq = it.pointee.seq {
        let r = swiftbuf_Py_VISIT(seq.object, visit, arg)
        if r != 0 { return r }
    }
    return swiftbuf_Py_VISIT(UnsafeMutableRawPointer(swiftbuf_Py_TYPE(object)).assumingMemoryBound(to: PyObject.self), visit, arg)
}
