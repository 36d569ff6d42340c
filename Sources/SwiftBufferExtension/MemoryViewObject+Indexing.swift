// MARK: - Indexing and slicing (memory_subscript, memory_item, memory_ass_sub, memory_length)
//
// The order of checks is memoryobject.c's, so that a key that is wrong in two ways raises
// the same of its two errors. Index conversion may run Python code (`__index__`) that
// releases the view; every path re-checks before it reads or writes (gh-92888).
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

/// `PyNumber_AsSsize_t(key, PyExc_IndexError)`, nil with its exception set. May run Python
/// code (`__index__`).
@inline(__always)
func convertedIndex(_ key: PyObjectRef) -> Int? {
    let i = unsafe PyNumber_AsSsize_t(key, swiftbuf_PyExc_IndexError())
    if unsafe i == -1 && PyErr_Occurred() != nil { return nil }
    return i
}

/// `convertedIndex`, throwing the exception it set.
@inline(__always)
func indexValue(_ key: PyObjectRef) throws(PythonError) -> Int {
    guard let i = unsafe convertedIndex(key) else { throw .alreadySet }
    return i
}

/// The value of an exact int that fits in an index, read without running Python code (so no
/// re-check of the view is needed after it); nil for any other key, or an int that does not
/// fit (`indexValue` then raises the IndexError `PyNumber_AsSsize_t` words). This is
/// `PyNumber_AsSsize_t`'s own path for an int, less its reference-count round trip and
/// dispatch: half of what `m[i]` spent outside the interpreter loop's own work.
@inline(__always)
private func exactIndex(_ key: PyObjectRef) -> Int? {
    if unsafe swiftbuf_PyLong_CheckExact(key) == 0 { return nil }
    let i = unsafe PyLong_AsSsize_t(key)
    if unsafe i == -1 && PyErr_Occurred() != nil {
        PyErr_Clear()
        return nil
    }
    return i
}

/// `is_multiindex`: a tuple of objects with `__index__` (the empty tuple included).
@inline(__always)
private func isMultiIndex(_ key: PyObjectRef) -> Bool {
    guard unsafe swiftbuf_PyTuple_Check(key) != 0 else { return false }
    let n = unsafe swiftbuf_PyTuple_GET_SIZE(key)
    var i = 0
    while i < n {
        if unsafe swiftbuf__PyIndex_Check(swiftbuf_PyTuple_GET_ITEM(key, i)) == 0 { return false }
        i &+= 1
    }
    return true
}

/// `is_multislice`: a non-empty tuple of slices.
private func isMultiSlice(_ key: PyObjectRef) -> Bool {
    guard unsafe swiftbuf_PyTuple_Check(key) != 0 else { return false }
    let n = unsafe swiftbuf_PyTuple_GET_SIZE(key)
    if n == 0 { return false }
    for i in 0..<n where unsafe swiftbuf_PySlice_Check(swiftbuf_PyTuple_GET_ITEM(key, i)) == 0 { return false }
    return true
}

/// `ptr_from_tuple`'s TypeError, out of line: the message is built only when it is raised.
@inline(never)
private func tupleTooLong(_ ndim: Int, _ n: Int) -> PythonError {
    .typeError("cannot index \(ndim)-dimension view with \(n)-element tuple")
}

extension MemoryViewHandle {
    /// `ptr_from_index`: the address of element `index` of dimension 0.
    @inline(__always)
    func pointer(at index: Int) throws(PythonError) -> UnsafeMutableRawPointer {
        let view = unsafe memoryView
        do throws(SwiftBufferError) { return unsafe try view.pointer(from: view.layout.buf!, dimension: 0, index: index) } catch {
            throw .core(error)
        }
    }

    /// `pointer(at:)` without following a suboffset, for a view that `__index__` released: its
    /// pointer table may be freed memory by now (CPython reads it). The bounds are still
    /// checked, so an IndexError wins as in CPython; the store's re-check reports the release.
    func unfollowedPointer(at index: Int) throws(PythonError) -> UnsafeMutableRawPointer {
        var view = unsafe memoryView
        unsafe view.layout.suboffsets = nil
        return unsafe try core { () throws(SwiftBufferError) in unsafe try view.pointer(from: view.layout.buf!, dimension: 0, index: index) }
    }

    /// `ptr_from_tuple`: converts the indices one at a time, looking each up as it goes. If an
    /// `__index__` releases the view, lookups go on with plain arithmetic (no suboffset is
    /// followed into memory that may be gone) so that a later IndexError still wins, and the
    /// caller's re-check reports the release.
    @inline(__always)
    func pointer(fromTuple key: PyObjectRef) throws(PythonError) -> UnsafeMutableRawPointer {
        var view = unsafe memoryView
        let n = unsafe swiftbuf_PyTuple_GET_SIZE(key)
        if n > view.ndim { throw tupleTooLong(view.ndim, n) }
        var p = unsafe view.layout.buf.unsafelyUnwrapped   // every view has a base
        var dim = 0
        while dim < n {
            let item: PyObjectRef = unsafe swiftbuf_PyTuple_GET_ITEM(key, dim)
            let i: Int
            if let exact = unsafe exactIndex(item) {
                i = exact
            } else {
                i = unsafe try indexValue(item)
                // Once released, a view stays released: from then on, plain arithmetic. (A second
                // copy of the view chosen per index cost ~140 instructions of m[i, j]'s ~520.)
                if unsafe view.layout.suboffsets != nil && isInaccessible { unsafe view.layout.suboffsets = nil }
            }
            unsafe p = unsafe try core { () throws(SwiftBufferError) in unsafe try view.pointer(from: p, dimension: dim, index: i) }
            dim &+= 1
        }
        return unsafe p
    }

    /// `memory_item` after its `CHECK_RELEASED` and `adjust_fmt`: the address of the element at
    /// `index` of a 1-d view.
    @inline(__always)
    func elementAddress(_ index: Int) throws(PythonError) -> UnsafeMutableRawPointer {
        switch unsafe pointee.view.ndim {
        case 1: return unsafe try pointer(at: index)
        case 0: throw .literal(.typeError, "invalid indexing of 0-dim memory")
        default: throw .literal(.notImplementedError, "multi-dimensional sub-views are not implemented")
        }
    }

    /// `memory_item`: the element at `index` of a 1-d view.
    @inline(__always)
    func item(_ index: Int) throws(PythonError) -> PyObjectRef {
        unsafe try checkReleased()
        let character = unsafe try formatCharacter()
        return unsafe try unpackElement(try elementAddress(index), character)   // no Python code ran since the check
    }

    /// A new view of the same export narrowed by `slice` along dimension 0. The view exists
    /// (and holds the export) before the slice's indices are converted. Inlined into the
    /// subscript's slice body: one frame less a slice.
    @inline(__always)
    func sliced(_ slice: PyObjectRef) throws(PythonError) -> PyObjectRef {
        unsafe try MemoryViewObject.sliceView(pointee.mbuf!, buffer, by: slice, inheriting: (pointee.code, pointee.flags))
    }
}

extension MemoryViewObject {
    /// A new view of `source` (exported through `mbuf`) narrowed by the Python `slice` along
    /// dimension 0: `view[slice]`, and `buffer[slice]` of a swiftbuf.Buffer. The view exists (and
    /// holds the export) before the slice's indices are converted: their __index__ may resize.
    /// `inheriting` is the source view's format character and flags (`install(_:code:)`), nil
    /// for an exporter's buffer: the new view is a whole, valid view until it is narrowed.
    @inline(__always)   // into its two callers' catch frames: one frame less a slice (m[1:10] 940 -> 934)
    static func sliceView(_ mbuf: ManagedBufferPointer, _ source: UnsafePointer<Py_buffer>,
                          by slice: PyObjectRef, inheriting: (code: Int32, flags: Int32)? = nil) throws(PythonError) -> PyObjectRef {
        let (result, layout) = unsafe try prepareView(mbuf, source, first: inheriting == nil)
        // The source's layout goes into the view as it is, and is narrowed there (no
        // descriptor copied in and out); the flags are computed once, after.
        let view = unsafe result.buffer
        if let inheriting {
            unsafe view.store(layout)
            unsafe result.pointee.code = inheriting.code
            unsafe result.pointee.flags = inheriting.flags & ~SWIFTBUF_MV_RELEASED
        } else {
            unsafe result.install(layout)
        }
        var start = 0, stop = 0, step = 0
        if unsafe PySlice_Unpack(slice, &start, &stop, &step) < 0 {
            unsafe decref(result.object)
            throw .alreadySet
        }
        // init_slice + init_len, then init_flags.
        unsafe MemoryView.slice(buf: &view.pointee.buf, len: &view.pointee.len, itemsize: layout.itemsize, ndim: layout.ndim,
                         shape: layout.shape!, strides: layout.strides!, suboffsets: layout.suboffsets,
                         dimension: 0, start: start, stop: stop, step: step)
        unsafe result.pointee.flags = Contiguity(of: result.layout).rawValue
        return unsafe result.object
    }
}

// `memory_subscript`, as a dispatcher that saves no registers: each key goes to a body of its
// own by tail call, so a slice does not pay the element read's saved registers and error path
// (m[1:10] 976 -> ~945 instructions under callgrind), and `...` of a 0-d view costs a
// reference. A slice is tested first: it is never an index (slice has no __index__ and
// cannot be subclassed), so CPython's order of checks gives the same answers.
@_cdecl("swiftbuf_memoryview_subscript") @inline(never)   // see `attribute`
func memoryviewSubscript(_ object: PyObjectRef, _ key: PyObjectRef) -> PyObjectRef? {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.isInaccessible { return unsafe mv.raiseReleased() }
    if unsafe mv.pointee.view.ndim != 0 {
        if unsafe swiftbuf_PySlice_Check(key) != 0 { return unsafe sliceOrRaise(mv, key) }
        if unsafe swiftbuf__PyIndex_Check(key) != 0 { return unsafe indexedItem(object, key) }
        return unsafe elementOrRaise(mv, key)
    }
    if unsafe key == swiftbuf_Py_Ellipsis() { return unsafe newReference(object) }
    return unsafe zeroDimensionalElementOrRaise(mv, key)
}

@inline(never)
private func sliceOrRaise(_ mv: MemoryViewHandle, _ key: PyObjectRef) -> PyObjectRef? {
    do throws(PythonError) { return unsafe try mv.sliced(key) } catch {
        error.raise()
        return nil
    }
}

/// `memory_subscript` of an N-d view (N > 0) with an index: the index converted as CPython
/// converts it, then `memory_item`, which is `memoryviewItem` here as it is there (its checks,
/// the view's release among them, follow the conversion's `__index__`). With only the view
/// live across the conversion this saves one register, not six, and jumps to the item slot:
/// a NumPy integer index ran 1.08-1.11x the builtin's wall-clock time in the element body.
@inline(never)
private func indexedItem(_ object: PyObjectRef, _ key: PyObjectRef) -> PyObjectRef? {
    guard let index = unsafe exactIndex(key) ?? convertedIndex(key) else { return nil }
    return unsafe memoryviewItem(object, index)
}

/// `memory_subscript` of an N-d view (N > 0) for every key but a slice and an index.
@inline(never)
private func elementOrRaise(_ mv: MemoryViewHandle, _ key: PyObjectRef) -> PyObjectRef? {
    do throws(PythonError) {
        let p: UnsafeMutableRawPointer
        let character: UInt8
        if unsafe isMultiIndex(key) {
            character = unsafe try mv.formatCharacter()
            if unsafe swiftbuf_PyTuple_GET_SIZE(key) < mv.pointee.view.ndim { throw .literal(.notImplementedError, "sub-views are not implemented") }
            unsafe p = unsafe try mv.pointer(fromTuple: key)
            unsafe try mv.checkReleased()   // the indices' __index__ ran
        } else {
            if unsafe isMultiSlice(key) { throw .literal(.notImplementedError, "multi-dimensional slicing is not implemented") }
            throw .literal(.typeError, "memoryview: invalid slice key")
        }
        // No Python code ran since the last check. Nil with the exception set, returned as it
        // is: the read is then the slot's tail call, as in CPython.
        return unsafe unpackedElement(p, character)
    } catch {
        error.raise()
        return nil
    }
}

/// `memory_subscript` of a 0-d view for every key but `...`: `()` reads the element. It
/// raises instead of throwing (see `unpackedElement`).
@inline(never)
private func zeroDimensionalElementOrRaise(_ mv: MemoryViewHandle, _ key: PyObjectRef) -> PyObjectRef? {
    if unsafe swiftbuf_PyTuple_Check(key) == 0 || swiftbuf_PyTuple_GET_SIZE(key) != 0 {
        return unsafe raising(.literal(.typeError, "invalid indexing of 0-dim memory"))
    }
    guard let character = unsafe mv.cachedFormatCharacter else { return unsafe mv.raiseUnsupportedFormat() }
    return unsafe unpackedElement(mv.pointee.view.buf.unsafelyUnwrapped, character)   // every view has a base
}

// `memory_item`: a readable element of a 1-d view is read here; every refusal goes to the
// throwing body, which makes CPython's checks in CPython's order. Checked first and raised out
// of line, the slot saves no error registers (callgrind: list(reversed(m)) of 16 bytes 4073 ->
// 3737 instructions, builtin 3681).
@_cdecl("swiftbuf_memoryview_item") @inline(never)   // see `attribute`
func memoryviewItem(_ object: PyObjectRef, _ index: Int) -> PyObjectRef? {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.pointee.view.ndim == 1, let character = unsafe mv.cachedFormatCharacter, unsafe !mv.isInaccessible,
       let p = unsafe mv.memoryView.pointer(ifInBounds: mv.pointee.view.buf.unsafelyUnwrapped, dimension: 0, index: index) {
        return unsafe unpackedElement(p, character)
    }
    return unsafe itemOrRaise(mv, index)
}

@inline(never)
private func itemOrRaise(_ mv: MemoryViewHandle, _ index: Int) -> PyObjectRef? {
    do throws(PythonError) { return unsafe try mv.item(index) } catch {
        error.raise()
        return nil
    }
}

@_cdecl("swiftbuf_memoryview_length") @inline(never)   // see `attribute`
func memoryviewLength(_ object: PyObjectRef) -> Int {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.isInaccessible {
        _ = unsafe mv.raiseReleased()
        return -1
    }
    return unsafe mv.pointee.view.ndim == 0 ? 1 : mv.pointee.view.shape.unsafelyUnwrapped[0]   // ndim > 0: a shape
}

// `memory_ass_sub`, as a dispatcher like `memoryviewSubscript`: a 1-d slice assignment and a
// 0-d element store that pass the checks CPython makes before it looks at the key (a readable
// format, a writable view, a value) go straight to their bodies; every other key, and every
// refusal, takes the element store's body, which makes those checks in CPython's order.
@_cdecl("swiftbuf_memoryview_ass_subscript") @inline(never)   // see `attribute`
func memoryviewAssSubscript(_ object: PyObjectRef, _ key: PyObjectRef, _ value: PyObjectRef?) -> Int32 {
    let mv = unsafe MemoryViewHandle(object)
    if let value = unsafe value, let character = unsafe mv.cachedFormatCharacter,
       unsafe mv.pointee.view.readonly == 0 && !mv.isInaccessible {
        switch unsafe mv.pointee.view.ndim {
        case 1 where unsafe swiftbuf_PySlice_Check(key) != 0:
            return unsafe sliceAssignmentOrRaise(mv, key, value)
        case 0 where unsafe isZeroDimensionalKey(key):
            return unsafe zeroDimensionalStoreOrRaise(mv, value, character)
        default: break
        }
    }
    return unsafe elementAssignmentOrRaise(mv, key, value)
}

/// The store of a writable 0-d view's element (`m[()] = v`, `m[...] = v`), once the checks
/// before it passed: a body of its own, so that it saves the registers of one conversion and
/// store and none of the element body's key handling. Measured with callgrind at `m[()] = 1.5`:
/// 193 instructions per store instead of 205 through the element body (the builtin: 207).
/// Wall-clock, 0.94-1.05x the builtin in runs with `benchmarks/sidebyside.py`'s fresh timers,
/// within this machine's noise; the 1.12x an earlier harness showed was timer placement.
@inline(never)
private func zeroDimensionalStoreOrRaise(_ mv: MemoryViewHandle, _ value: PyObjectRef, _ character: UInt8) -> Int32 {
    do throws(PythonError) {
        unsafe try packElement(mv, mv.pointee.view.buf.unsafelyUnwrapped, value, character)   // every view has a base
        return 0
    } catch {
        error.raise()
        return -1
    }
}

@inline(never)
private func sliceAssignmentOrRaise(_ mv: MemoryViewHandle, _ key: PyObjectRef, _ value: PyObjectRef) -> Int32 {
    do throws(PythonError) {
        unsafe try assignSlice(mv, key, value)
        return 0
    } catch {
        error.raise()
        return -1
    }
}

@inline(never)
private func elementAssignmentOrRaise(_ mv: MemoryViewHandle, _ key: PyObjectRef, _ value: PyObjectRef?) -> Int32 {
    do throws(PythonError) {
        unsafe try mv.checkReleased()
        let character = unsafe try mv.formatCharacter()
        // Raised rather than thrown: no throw hook, no catch (refused `del m[i]` ~20 instructions).
        if unsafe mv.pointee.view.readonly != 0 { return raisingInt(.literal(.typeError, "cannot modify read-only memory")) }
        guard let value = unsafe value else { return raisingInt(.literal(.typeError, "cannot delete memory")) }
        // The two keys that store one element, an index of a 1-d view and `()` or `...` of a
        // 0-d one, share the one store below; every other key goes to `assign`.
        let ndim = unsafe mv.pointee.view.ndim
        let p: UnsafeMutableRawPointer
        if unsafe ndim == 1 && swiftbuf__PyIndex_Check(key) != 0 {
            if let index = unsafe exactIndex(key) {
                unsafe p = unsafe try mv.pointer(at: index)   // no Python code ran since the check
            } else {
                let index = unsafe try indexValue(key)
                unsafe p = unsafe mv.isInaccessible ? try mv.unfollowedPointer(at: index) : try mv.pointer(at: index)
            }
        } else if unsafe ndim == 0 && isZeroDimensionalKey(key) {
            unsafe p = unsafe mv.pointee.view.buf.unsafelyUnwrapped   // every view has a base
        } else {
            unsafe try assign(mv, key, value, character)
            return 0
        }
        unsafe try packElement(mv, p, value, character)
        return 0
    } catch {
        error.raise()
        return -1
    }
}

/// `memory_ass_sub` for every key but an index of a 1-d view and `()` or `...` of a 0-d one.
private func assign(_ mv: MemoryViewHandle, _ key: PyObjectRef, _ value: PyObjectRef, _ character: UInt8) throws(PythonError) {
    let ndim = unsafe Int(mv.pointee.view.ndim)
    if ndim == 0 { throw .literal(.typeError, "invalid indexing of 0-dim memory") }
    if unsafe swiftbuf__PyIndex_Check(key) != 0 {
        throw .literal(.notImplementedError, "sub-views are not implemented")   // ndim > 1
    }
    if unsafe swiftbuf_PySlice_Check(key) != 0 && ndim == 1 {
        return unsafe try assignSlice(mv, key, value)
    }
    if unsafe isMultiIndex(key) {
        if unsafe swiftbuf_PyTuple_GET_SIZE(key) < ndim { throw .literal(.notImplementedError, "sub-views are not implemented") }
        let p = unsafe try mv.pointer(fromTuple: key)
        return unsafe try packElement(mv, p, value, character)
    }
    if unsafe swiftbuf_PySlice_Check(key) != 0 || isMultiSlice(key) {
        throw .literal(.notImplementedError, "memoryview slice assignments are currently restricted to ndim = 1")
    }
    throw .literal(.typeError, "memoryview: invalid slice key")
}

/// The 1-d slice assignment of `memory_ass_sub`: the right side must be an exporter with the
/// same format and shape as the slice; copies are safe when both sides share memory.
private func assignSlice(_ mv: MemoryViewHandle, _ key: PyObjectRef, _ value: PyObjectRef) throws(PythonError) {
    if unsafe isMemoryView(value) {
        // A view as the source: its own Py_buffer is what its getbuffer would answer a
        // PyBUF_FULL_RO request with. It is pinned as that export would pin it, while the
        // slice's indices convert (their __index__ may try to release it); a released view
        // fails as its getbuffer would. (The request and release cost ~150 instructions of a
        // ~600-instruction slice assignment under callgrind.)
        let w = unsafe MemoryViewHandle(value)
        unsafe try w.checkReleased()
        return unsafe try w.withPinnedExport { () throws(PythonError) in unsafe try assignSlice(mv, key, from: w.buffer) }
    }
    unsafe try HeldBuffer.withBorrowed(from: value, request: .fullRO) { source throws(PythonError) in
        unsafe try assignSlice(mv, key, from: source)
    }
}

/// The slice assignment once the source's buffer is held.
@inline(__always)
private func assignSlice(_ mv: MemoryViewHandle, _ key: PyObjectRef, from source: UnsafeMutablePointer<Py_buffer>) throws(PythonError) {
    // The slice of this view, described in local storage (shape, stride, suboffset).
    var arrays: (Int, Int, Int) = (0, 0, 0)
    unsafe try withUnsafeMutableBytes(of: &arrays) { raw throws(PythonError) in
        let storage = unsafe raw.baseAddress!.assumingMemoryBound(to: Int.self)
        var destination = unsafe mv.layout
        unsafe storage[0] = unsafe destination.shape![0]
        unsafe storage[1] = unsafe destination.strides![0]
        unsafe destination.shape = unsafe storage
        unsafe destination.strides = unsafe storage + 1
        if let sub = unsafe destination.suboffsets {
            unsafe storage[2] = unsafe sub[0]
            unsafe destination.suboffsets = unsafe storage + 2
        }
        var start = 0, stop = 0, step = 0
        if unsafe PySlice_Unpack(key, &start, &stop, &step) < 0 { throw .alreadySet }
        MemoryView.slice(&destination, dimension: 0, start: start, stop: stop, step: step)
        unsafe try mv.checkReleased()
        let sourceLayout = unsafe BufferDescriptor(source)
        if let refusal = MemoryView.assignmentRefusal(sourceLayout, to: destination) { throw PythonError(refusal: refusal) }
        let scratchSize = try core { () throws(SwiftBufferError) in try MemoryView.assignmentScratchBytes(sourceLayout, to: destination) }
        let scratch = unsafe scratchSize > 0 ? try temporary(scratchSize) : nil
        defer { if let scratch = unsafe scratch { unsafe PyMem_Free(scratch) } }
        unsafe MemoryView.assign(sourceLayout, to: destination, scratch: scratch)
    }
}

// MARK: - Iteration (memory_iter, memoryiter_next)

// `memory_iter`: an iterable view (1-d, not released, a one-character format) gets its
// iterator here; every refusal goes to the throwing checks out of line, so the slot saves no
// error registers (callgrind: iter(m) 1.076x -> 1.053x the builtin, 455 instructions against 432).
@_cdecl("swiftbuf_memoryview_iter") @inline(never)   // see `attribute`
func memoryviewIter(_ object: PyObjectRef) -> PyObjectRef? {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.pointee.view.ndim == 1, let character = unsafe mv.cachedFormatCharacter, unsafe !mv.isInaccessible {
        return unsafe makeIterator(mv, character)
    }
    return unsafe iteratorRefusal(mv)
}

@inline(__always)
private func makeIterator(_ mv: MemoryViewHandle, _ character: UInt8) -> PyObjectRef? {
    guard let raw = unsafe _PyObject_GC_New(swiftbuf_memoryiterator_type()) else { return nil }
    let it = unsafe UnsafeMutableRawPointer(raw).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    unsafe it.pointee.index = 0
    unsafe it.pointee.length = unsafe mv.pointee.view.shape![0]
    unsafe it.pointee.code = Int32(character)
    unsafe it.pointee.seq = unsafe MemoryViewHandle(newReference(mv.object)).raw
    unsafe PyObject_GC_Track(raw)
    return unsafe raw
}

/// `memory_iter`'s refusals, in CPython's order. CPython 3.11 returns an iterator with the
/// error of a released view still set (iter() then raises SystemError, a for loop this
/// ValueError); we raise the error.
@inline(never)
private func iteratorRefusal(_ mv: MemoryViewHandle) -> PyObjectRef? {
    do throws(PythonError) {
        return unsafe makeIterator(mv, try mv.iterationFormatCharacter())
    } catch {
        error.raise()
        return nil
    }
}

@_cdecl("swiftbuf_memoryiterator_next") @inline(never)   // see `attribute`
func memoryIteratorNext(_ object: PyObjectRef) -> PyObjectRef? {
    let it = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    guard let raw = unsafe it.pointee.seq else { return nil }
    let seq = unsafe MemoryViewHandle(raw: raw)
    let i = unsafe it.pointee.index
    if unsafe i >= it.pointee.length { return unsafe iteratorExhausted(it, seq) }
    // The errors are raised out of line: this path then saves no registers and returns the
    // element's object straight from the C API (a third of the cost per element was the
    // frame an inlined raise needed).
    if unsafe seq.isInaccessible { return unsafe iteratorFailed(seq, character: nil) }
    unsafe it.pointee.index = i &+ 1
    // A 1-d view always has a base and strides (the iterator was made from one).
    let view = unsafe seq.buffer
    let p = unsafe Layout.address(i, of: view.pointee.buf.unsafelyUnwrapped, stride: view.pointee.strides.unsafelyUnwrapped[0],
                           suboffsets: view.pointee.suboffsets, dimension: 0)
    let character = unsafe UInt8(truncatingIfNeeded: it.pointee.code)
    guard let code = ElementCodec.Code(ascii: character), code != .half else {
        return unsafe iteratorFailed(seq, character: character)
    }
    return unsafe elementObject(code, p)   // nil: the allocation's MemoryError is set
}

@inline(never)
private func iteratorExhausted(_ it: UnsafeMutablePointer<swiftbuf_MemoryIteratorObject>, _ seq: MemoryViewHandle) -> PyObjectRef? {
    unsafe it.pointee.seq = nil
    unsafe decref(seq.object)
    return nil
}

/// The error of a step: the view's release (`character` nil), or an element format the
/// iterator cannot unpack. Built here, out of line, so the step's own path builds nothing.
@inline(never)
private func iteratorFailed(_ seq: MemoryViewHandle, character: UInt8?) -> PyObjectRef? {
    do throws(PythonError) {
        if let character = character { throw .core(MemoryView.unsupportedElement(character)) }
        unsafe try seq.checkReleased()
    } catch {
        error.raise()
    }
    return nil
}

// MARK: - What both iterator types share (memory_iterator here, buffer_iterator in BufferContainer.swift)

/// `__reduce__` of both iterator types: the builtin iterator cannot be pickled (it is a static
/// type without tp_new); a heap type would otherwise reduce through copyreg with protocols 0
/// and 1. The message names the object's type, as CPython's does.
@_cdecl("swiftbuf_iterator_reduce")
func iteratorReduce(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in throw .typeError(unsafe "cannot pickle '\(typeName(object))' object") }
}

/// tp_dealloc of an iterator, a GC-tracked heap-type instance: untracked, `drop` gives back
/// what it holds, then it is freed and lets go of its type.
@inline(__always)
func iteratorDealloc(_ object: PyObjectRef, drop: () -> Void) {
    let type = unsafe swiftbuf_Py_TYPE(object)!
    unsafe PyObject_GC_UnTrack(UnsafeMutableRawPointer(object))
    drop()
    unsafe PyObject_GC_Del(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

/// tp_traverse of an iterator: the object it holds (nil once exhausted), then its type.
@inline(__always)
func iteratorTraverse(_ object: PyObjectRef, holding held: PyObjectRef?, _ visit: visitproc?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    if let held = unsafe held {
        let r = unsafe swiftbuf_Py_VISIT(held, visit, arg)
        if r != 0 { return r }
    }
    return unsafe swiftbuf_Py_VISIT(UnsafeMutableRawPointer(swiftbuf_Py_TYPE(object)).assumingMemoryBound(to: PyObject.self), visit, arg)
}

@_cdecl("swiftbuf_memoryiterator_dealloc") @inline(never)   // see `attribute`
func memoryIteratorDealloc(_ object: PyObjectRef) {
    let it = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    unsafe iteratorDealloc(object) {
        if let seq = unsafe it.pointee.seq { unsafe decref(MemoryViewHandle(raw: seq).object) }
    }
}

@_cdecl("swiftbuf_memoryiterator_traverse") @inline(never)   // see `attribute`
func memoryIteratorTraverse(_ object: PyObjectRef, _ visit: visitproc?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    let it = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryIteratorObject.self)
    return unsafe iteratorTraverse(object, holding: it.pointee.seq.map { unsafe MemoryViewHandle(raw: $0).object }, visit, arg)
}
