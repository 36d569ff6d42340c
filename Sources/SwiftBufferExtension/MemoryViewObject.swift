// swiftbuf.MemoryView: CPython's memoryview, with its semantics in the core `MemoryView`.
// The type specs are in Sources/pyext/memoryview_type.c; every slot lands in the
// MemoryView*.swift files of this folder, which follow memoryobject.c's map:
//
//   MemoryViewObject.swift              managed buffer, construction, release/GC, getbuffer,
//                                       attributes, repr
//   MemoryViewObject+Elements.swift     unpack/pack of elements, the struct module fallback
//   MemoryViewObject+Indexing.swift     indexing, slicing, assignment, len, iteration
//   MemoryViewObject+Methods.swift      tolist, tobytes, hex, cast, toreadonly, count, index
//   MemoryViewObject+Compare.swift      comparison, hash
//   MemoryViewArguments.swift           argument clinic's parsing and messages
//
// Ownership follows memoryobject.c: the managed buffer (a small Python object, GC-tracked once two views share it,
// holding the export's Py_buffer and the state of the core's `ManagedExport` rules inline)
// owns the one export; every view holds a strong reference to it and is registered with it;
// the last view to be released or deallocated gives the export back. `view.obj` of a view is
// the exporter, borrowed from the managed buffer.
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

typealias ManagedBufferPointer = UnsafeMutablePointer<swiftbuf_ManagedBufferObject>

/// A borrowed memoryview object (`swiftbuf_MemoryViewObject`, laid out in
/// swiftbuf_objects.h): the one handle the bridge holds on a view, a pointer-sized value that
/// counts no reference of its own. Every operation on a view is a method of this type, so the
/// object's fields are reached through `pointee` in one place per concern and nowhere else can
/// a raw object pointer be mistaken for a view.
@unsafe struct MemoryViewHandle: Equatable {
    let raw: UnsafeMutablePointer<swiftbuf_MemoryViewObject>

    /// `object` must be a swiftbuf.MemoryView (every slot's `self`, or `isMemoryView`).
    @inline(__always) init(_ object: PyObjectRef) {
        unsafe raw = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_MemoryViewObject.self)
    }
    @inline(__always) init(raw: UnsafeMutablePointer<swiftbuf_MemoryViewObject>) { unsafe self.raw = unsafe raw }

    /// The object's fields, in place.
    @inline(__always) var pointee: swiftbuf_MemoryViewObject {
        unsafeAddress { unsafe UnsafePointer(raw) }
        nonmutating unsafeMutableAddress { unsafe raw }
    }

    /// The same object (written out: the synthesized `==` compares the pointers unmarked).
    @inline(__always) static func == (a: Self, b: Self) -> Bool { unsafe a.raw == b.raw }
}

extension MemoryViewHandle {
    @inline(__always) var object: PyObjectRef { unsafe UnsafeMutableRawPointer(raw).assumingMemoryBound(to: PyObject.self) }
    /// The view's Py_buffer, inside the object.
    @inline(__always) var buffer: UnsafeMutablePointer<Py_buffer> { unsafe swiftbuf_memoryview_buffer(raw) }

    /// `BASE_INACCESSIBLE`: this view was released, or its managed buffer was (by the
    /// garbage collector breaking a cycle), or tp_clear dropped the managed buffer.
    @inline(__always) var isInaccessible: Bool {
        if unsafe pointee.flags & SWIFTBUF_MV_RELEASED != 0 { return true }
        guard let mbuf = unsafe pointee.mbuf else { return true }
        return unsafe mbuf.pointee.flags & SWIFTBUF_MBUF_RELEASED != 0
    }

    /// `CHECK_RELEASED` (and `CHECK_RELEASED_AGAIN` after any call that may run Python code).
    @inline(__always) func checkReleased() throws(PythonError) {
        if unsafe isInaccessible { throw .released }
    }

    /// `CHECK_RELEASED` for a slot that does nothing else that can fail: raises the error and
    /// returns NULL, out of line. A `throw` in the slot itself keeps the error in saved
    /// registers across the runtime's throw hook, so the slot would save and restore five
    /// registers on every call (m.obj, len(m): a tenth of their cost).
    @inline(never) func raiseReleased() -> PyObjectRef? { unsafe raising(.released) }

    /// The view's layout, complete (shape and strides present when ndim > 0), read field by
    /// field (see `install`).
    @inline(__always) var layout: BufferDescriptor { unsafe BufferDescriptor(buffer) }

    /// The core view: layout and flags.
    @inline(__always) var memoryView: MemoryView { unsafe MemoryView(layout: layout, contiguity: contiguity) }

    /// The flags `init_flags` computed, without the view's released bit.
    @inline(__always) var contiguity: Contiguity { unsafe Contiguity(rawValue: pointee.flags & ~SWIFTBUF_MV_RELEASED) }

    /// Stores `layout` as the view's Py_buffer (the arrays must be the view's own), with what
    /// the view caches about it: the flags (`init_flags`) and the format character.
    ///
    /// Callers build `layout` in locals and install it once. Reading a Py_buffer back whole
    /// right after storing its fields stalls on store forwarding (the compiler merges adjacent
    /// field loads into vector loads): that was a third of a cast's time under perf.
    @inline(__always) func install(_ layout: BufferDescriptor) {
        unsafe install(layout, code: Int32(MemoryView.formatCharacter(of: layout.format) ?? 0))
    }

    /// `install` for a layout whose format character is known: `code` (0 for a longer
    /// format), the source view's when the format is the source's (a slice, `toreadonly`, a
    /// view of a view), the cast's destination after a cast.
    @inline(__always) func install(_ layout: BufferDescriptor, code: Int32) {
        unsafe install(MemoryView(layout: layout, contiguity: Contiguity(of: layout)), code: code)
    }

    /// `install` for a view whose flags are known already (a cast's, made with its layout).
    @inline(__always) func install(_ view: MemoryView, code: Int32) {
        unsafe buffer.store(view.layout)
        unsafe pointee.flags = view.contiguity.rawValue
        unsafe pointee.code = code
    }

    /// Runs `body`, which calls Python code, with an export of this view held: releasing the
    /// view from that code then fails with BufferError instead of freeing the memory the caller
    /// reads next (CPython's fix for gh-143195). The one way to pin a view; the buffer
    /// protocol's own getbuffer/releasebuffer count exports directly.
    @inline(__always) func withPinnedExport<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        unsafe pointee.exports += 1
        defer { unsafe pointee.exports -= 1 }
        return try body()
    }

    /// What iteration checks before its first element (`memory_iter`): a 1-d view, not
    /// released, whose format has one character. Returns that character.
    @inline(__always) func iterationFormatCharacter() throws(PythonError) -> UInt8 {
        let ndim = unsafe pointee.view.ndim
        if ndim == 0 { throw .literal(.typeError, "invalid indexing of 0-dim memory") }
        if ndim != 1 { throw .literal(.notImplementedError, "multi-dimensional sub-views are not implemented") }
        unsafe try checkReleased()
        return unsafe try formatCharacter()
    }

    /// `adjust_fmt`: the format's one character (cached by `install`), or NotImplementedError.
    @inline(__always) func formatCharacter() throws(PythonError) -> UInt8 {
        guard let c = unsafe cachedFormatCharacter else { throw unsafe unsupportedFormat }
        return c
    }

    /// The format character cached at creation, nil for a format longer than one character.
    @inline(__always) var cachedFormatCharacter: UInt8? {
        let c = unsafe pointee.code
        return c != 0 ? UInt8(truncatingIfNeeded: c) : nil
    }

    /// `adjust_fmt`'s error for this view's format.
    var unsupportedFormat: PythonError { unsafe .core(MemoryView.unsupportedFormat(layout.formatBytes)) }

    /// `formatCharacter`'s refusal raised, for a slot that throws nothing else.
    @inline(never) func raiseUnsupportedFormat() -> PyObjectRef? { unsafe raising(unsupportedFormat) }
}

/// Raises `error` and returns NULL, for a slot that raises instead of throwing: out of line, so
/// the slot keeps no error in saved registers (a `throw` calls the runtime's throw hook with
/// the error live across it). The error is an autoclosure, so it is made here too, not in the
/// slot: making a core refusal in `getbuffer` kept six registers saved on its success path.
@inline(never)
func raising(_ error: @autoclosure () -> PythonError) -> PyObjectRef? {
    error().raise()
    return nil
}

/// `raising` for a slot whose error value is -1.
@inline(never)
func raisingInt(_ error: @autoclosure () -> PythonError) -> Int32 {
    error().raise()
    return -1
}

extension PythonError {
    /// `CHECK_RELEASED`'s error.
    static var released: PythonError { .literal(.valueError, "operation forbidden on released memoryview object") }
}

@inline(__always) func isMemoryView(_ o: PyObjectRef) -> Bool {
    unsafe swiftbuf_Py_TYPE(o) == swiftbuf_memoryview_type()
}

// MARK: - The managed buffer (mbuf_alloc, _PyManagedBuffer_FromObject, mbuf_release)

/// The core's `ManagedExport` rules over the state inside a managed-buffer object (`flags`,
/// `exports`, the inline `master`): a pointer, so the rules touch the C fields directly, with
/// no allocation and no exclusivity checks.
@unsafe struct ManagedBufferEnvelope: ManagedExport {
    let mbuf: ManagedBufferPointer

    @inline(__always) init(_ mbuf: ManagedBufferPointer) { unsafe self.mbuf = unsafe mbuf }

    var views: Int {
        @inline(__always) get { unsafe mbuf.pointee.exports }
        @inline(__always) nonmutating set { unsafe mbuf.pointee.exports = newValue }
    }

    var isReleased: Bool {
        @inline(__always) get { unsafe mbuf.pointee.flags & SWIFTBUF_MBUF_RELEASED != 0 }
        @inline(__always) nonmutating set {
            if newValue { unsafe mbuf.pointee.flags |= SWIFTBUF_MBUF_RELEASED } else { unsafe mbuf.pointee.flags &= ~SWIFTBUF_MBUF_RELEASED }
        }
    }

    /// Runs after `isReleased` is set, so Python code the exporter's release runs sees every
    /// view of this managed buffer as released.
    func giveBackExport() {
        // Nothing left to traverse: the reference to the exporter is about to go. Only a
        // shared managed buffer was tracked (see `ManagedBuffer.share`).
        if unsafe mbuf.pointee.flags & SWIFTBUF_MBUF_SHARED != 0 { unsafe PyObject_GC_UnTrack(UnsafeMutableRawPointer(mbuf)) }
        unsafe PyBuffer_Release(ManagedBuffer.master(mbuf))
    }
}

enum ManagedBuffer {
    /// A new managed buffer holding the export `exporter` gives for `request`: one allocation,
    /// the export filled in place. Not tracked: its first view traverses it (`traverse`) until
    /// a second view shares it.
    @inline(__always)
    static func make(from exporter: PyObjectRef, request: BufferRequest) throws(PythonError) -> ManagedBufferPointer {
        guard let raw = unsafe _PyObject_GC_New(swiftbuf_managedbuffer_type()) else { throw .alreadySet }
        let mbuf = unsafe UnsafeMutableRawPointer(raw).assumingMemoryBound(to: swiftbuf_ManagedBufferObject.self)
        unsafe mbuf.pointee.exports = 0
        do throws(PythonError) { unsafe try HeldBuffer.get(into: master(mbuf), from: exporter, request: request) } catch {
            // Never tracked, holding nothing: released, so its dealloc gives nothing back.
            unsafe mbuf.pointee.flags = SWIFTBUF_MBUF_RELEASED
            unsafe decref(raw)
            throw error
        }
        unsafe mbuf.pointee.flags = 0
        return unsafe mbuf
    }

    /// `mbuf_add_view`'s registration. The second view to register makes the managed buffer
    /// shared: tracked, so that from then on every view visits it and it visits the exporter,
    /// which stays referenced once in the collector's counts however many views there are.
    /// `first`: the first view of a new managed buffer, which does not share it (the check kept
    /// MemoryView(b)'s construction from its registers: 145 -> 161 instructions). Every other
    /// registration is made from a view that is registered and not released (its caller
    /// checked), so it is a second view and the flag alone is tested (with the count tested
    /// too, a slice cost 10 instructions more than before the managed buffer went untracked).
    /// Sharing early would still be correct: a shared managed buffer is visited by its views.
    @inline(__always)
    static func register(_ mbuf: ManagedBufferPointer, first: Bool) {
        unsafe ManagedBufferEnvelope(mbuf).register()
        if unsafe !first && mbuf.pointee.flags & SWIFTBUF_MBUF_SHARED == 0 { unsafe share(mbuf) }
    }

    /// A managed buffer whose export was given back between its source view's check and the
    /// new view's registration (a finalizer run by the new view's allocation released the
    /// source) is shared but stays untracked, as every released one is: it references nothing
    /// left to traverse, and deallocation finds it untracked.
    @inline(never)
    private static func share(_ mbuf: ManagedBufferPointer) {
        unsafe mbuf.pointee.flags |= SWIFTBUF_MBUF_SHARED
        if unsafe mbuf.pointee.flags & SWIFTBUF_MBUF_RELEASED == 0 { unsafe PyObject_GC_Track(UnsafeMutableRawPointer(mbuf)) }
    }

    /// What the managed buffer references (the exporter while the export is held, its type),
    /// visited by its own tp_traverse once shared, by its one view's before that. Each
    /// reference is then visited exactly once, the collector's counts stay exact.
    @inline(__always)
    static func traverse(_ mbuf: ManagedBufferPointer, _ visit: visitproc?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
        if unsafe mbuf.pointee.flags & SWIFTBUF_MBUF_RELEASED == 0, let exporter = unsafe master(mbuf).pointee.obj {
            let r = unsafe swiftbuf_Py_VISIT(exporter, visit, arg)
            if r != 0 { return r }
        }
        return unsafe swiftbuf_Py_VISIT(UnsafeMutableRawPointer(swiftbuf_Py_TYPE(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self))).assumingMemoryBound(to: PyObject.self), visit, arg)
    }

    /// The exporter's Py_buffer, inside the managed buffer; valid while it is not released.
    @inline(__always)
    static func master(_ mbuf: ManagedBufferPointer) -> UnsafeMutablePointer<Py_buffer> {
        unsafe swiftbuf_managedbuffer_master(mbuf)
    }

    /// A view is done with the export; the last one gives it back.
    @inline(__always)
    static func unregister(_ mbuf: ManagedBufferPointer) { unsafe ManagedBufferEnvelope(mbuf).unregister() }

    /// `mbuf_release`: gives the export back now, even with views registered (the garbage
    /// collector breaking a cycle); those views then raise on every use.
    @inline(__always)
    static func release(_ mbuf: ManagedBufferPointer) { unsafe ManagedBufferEnvelope(mbuf).releaseExport() }
}

@_cdecl("swiftbuf_managedbuffer_dealloc")
func managedBufferDealloc(_ object: PyObjectRef) {
    let mbuf = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_ManagedBufferObject.self)
    let type = unsafe swiftbuf_Py_TYPE(object)!
    // Untracks it if it still holds the export; a released one is untracked already.
    unsafe ManagedBuffer.release(mbuf)
    unsafe PyObject_GC_Del(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

@_cdecl("swiftbuf_managedbuffer_traverse")
func managedBufferTraverse(_ object: PyObjectRef, _ visit: visitproc?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    unsafe ManagedBuffer.traverse(UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_ManagedBufferObject.self), visit, arg)
}

@_cdecl("swiftbuf_managedbuffer_clear")
func managedBufferClear(_ object: PyObjectRef) -> Int32 {
    unsafe ManagedBuffer.release(UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_ManagedBufferObject.self))
    return 0
}

// MARK: - Construction (memory_alloc, mbuf_add_view, PyMemoryView_FromObject)

enum MemoryViewObject {
    /// `memory_alloc`: a GC-tracked view with room for `ndim` dimensions, not yet registered.
    @inline(__always)
    static func allocate(ndim: Int) throws(PythonError) -> MemoryViewHandle {
        guard let raw = unsafe _PyObject_GC_NewVar(swiftbuf_memoryview_type(), 3 * ndim) else { throw .alreadySet }
        let mv = unsafe MemoryViewHandle(raw: UnsafeMutableRawPointer(raw).assumingMemoryBound(to: swiftbuf_MemoryViewObject.self))
        let array = unsafe swiftbuf_memoryview_array(mv.raw)!
        unsafe mv.pointee.mbuf = nil
        unsafe mv.pointee.hash = -1
        unsafe mv.pointee.flags = 0
        unsafe mv.pointee.code = 0
        unsafe mv.pointee.exports = 0
        unsafe mv.pointee.view.obj = nil
        unsafe mv.pointee.view.internal = nil
        unsafe mv.pointee.view.ndim = Int32(truncatingIfNeeded: ndim)
        unsafe mv.pointee.view.shape = unsafe array
        unsafe mv.pointee.view.strides = unsafe array + ndim
        unsafe mv.pointee.view.suboffsets = unsafe array + 2 * ndim
        unsafe mv.pointee.weakreflist = nil
        unsafe PyObject_GC_Track(UnsafeMutableRawPointer(raw))
        return unsafe mv
    }

    /// `mbuf_add_view` for the first view of a new managed buffer `mbuf`, of its export.
    @inline(__always)
    static func addFirstView(_ mbuf: ManagedBufferPointer) throws(PythonError) -> MemoryViewHandle {
        let (mv, layout) = unsafe try prepareView(mbuf, ManagedBuffer.master(mbuf), first: true)
        unsafe mv.install(layout)
        return unsafe mv
    }

    /// `mbuf_add_view` up to `init_flags`: the registered view, its arrays copied, and its
    /// layout for the caller to adjust and `install`. `first`: see `ManagedBuffer.register`.
    @inline(__always)
    static func prepareView(_ mbuf: ManagedBufferPointer, _ source: UnsafePointer<Py_buffer>, first: Bool = false) throws(PythonError) -> (MemoryViewHandle, BufferDescriptor) {
        // The source is read after the allocation, as mbuf_add_view does: read before, its
        // fields were kept across the call on the stack (~20 instructions per view).
        let ndim = unsafe Int(source.pointee.ndim)
        try core { () throws(SwiftBufferError) in try MemoryView.checkDimensions(ndim) }
        let mv = unsafe try allocate(ndim: ndim)
        var layout = unsafe BufferDescriptor(source)
        let arrays = unsafe MemoryView.copyArrays(of: layout, into: swiftbuf_memoryview_array(mv.raw))
        unsafe layout.format = unsafe layout.format ?? Layout.unsignedByteCString
        unsafe layout.shape = unsafe arrays.shape
        unsafe layout.strides = unsafe arrays.strides
        unsafe layout.suboffsets = unsafe arrays.suboffsets
        unsafe share(mv, source, mbuf, first: first)
        return unsafe (mv, layout)
    }

    /// `mbuf_add_incomplete_view`: a view of `source` with room for `ndim` dimensions, and the
    /// source's layout with the new arrays (contents undefined) for the caller to fill in.
    @inline(__always)
    static func addIncompleteView(_ mbuf: ManagedBufferPointer, _ source: UnsafePointer<Py_buffer>, ndim: Int) throws(PythonError) -> (MemoryViewHandle, BufferDescriptor) {
        let mv = unsafe try allocate(ndim: ndim)
        var layout = unsafe BufferDescriptor(source)
        let array = unsafe swiftbuf_memoryview_array(mv.raw)!
        unsafe layout.format = unsafe layout.format ?? Layout.unsignedByteCString
        layout.ndim = ndim
        unsafe layout.shape = unsafe array
        unsafe layout.strides = unsafe array + ndim
        unsafe layout.suboffsets = unsafe array + 2 * ndim
        unsafe share(mv, source, mbuf, first: false)
        return unsafe (mv, layout)
    }

    /// `init_shared_values`' ownership half, and the registration.
    @inline(__always)
    private static func share(_ mv: MemoryViewHandle, _ source: UnsafePointer<Py_buffer>, _ mbuf: ManagedBufferPointer, first: Bool) {
        unsafe mv.pointee.view.obj = unsafe source.pointee.obj
        unsafe mv.pointee.view.internal = unsafe source.pointee.internal
        unsafe incref(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self))
        unsafe mv.pointee.mbuf = unsafe mbuf
        unsafe ManagedBuffer.register(mbuf, first: first)
    }

    /// `PyMemoryView_FromObject`: a view of any exporter; a view of a view shares its managed
    /// buffer (and so its export, and `obj`).
    @inline(__always)
    static func make(from object: PyObjectRef, request: BufferRequest = .fullRO) throws(PythonError) -> MemoryViewHandle {
        if unsafe isMemoryView(object) {
            let source = unsafe MemoryViewHandle(object)
            unsafe try source.checkReleased()
            let (mv, layout) = unsafe try prepareView(source.pointee.mbuf!, source.buffer)
            unsafe mv.install(MemoryView(layout: layout, contiguity: source.contiguity), code: source.pointee.code)
            return unsafe mv
        }
        if unsafe swiftbuf_PyObject_CheckBuffer(object) != 0 {
            let mbuf = unsafe try ManagedBuffer.make(from: object, request: request)
            defer { unsafe decref(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self)) }
            return unsafe try addFirstView(mbuf)
        }
        throw unsafe notABuffer(object)
    }

    /// `PyMemoryView_FromObject`'s refusal, made with one allocation (an interpolation of the
    /// type's name made three: `MV(1)` 4411 -> 3462 instructions under callgrind, builtin 3958).
    @inline(never)
    private static func notABuffer(_ object: PyObjectRef) -> PythonError {
        let name = unsafe swiftbuf_Py_TYPE(object).pointee.tp_name!
        return .typeError(unsafe SwiftBufferError.message("memoryview: a bytes-like object is required, not '",
                                                          UnsafeRawBufferPointer(start: name, count: strlen(name)), "'"))
    }

    /// `_memory_release` without the refusal (`releaseOrRaise` raises it): releases the view
    /// unless buffers exported from it are alive, and returns their count (0: released now or
    /// before). Deallocation and `tp_clear` call this one, so they carry no error path (dealloc
    /// 48 -> 38 instructions).
    @inline(__always)
    static func releaseIfUnexported(_ mv: MemoryViewHandle) -> Int {
        if unsafe mv.pointee.flags & SWIFTBUF_MV_RELEASED != 0 { return 0 }
        let exports = unsafe mv.pointee.exports
        if exports == 0 {
            unsafe mv.pointee.flags |= SWIFTBUF_MV_RELEASED
            if let mbuf = unsafe mv.pointee.mbuf { unsafe ManagedBuffer.unregister(mbuf) }
        }
        return exports
    }

    @inline(never)
    fileprivate static func refusal(_ exports: Int) -> PythonError {
        if exports > 0 { return .bufferError("memoryview has \(exports) exported buffer\(exports == 1 ? "" : "s")") }
        return unsafe PythonError(swiftbuf_PyExc_SystemError(), "_memory_release(): negative export count")
    }
}

private let newSignature = ClinicSignature("memoryview", "object", count: 1, required: 1, positional: 1)

@_cdecl("swiftbuf_memoryview_new")
func memoryviewNew(_ type: UnsafeMutablePointer<PyTypeObject>, _ args: PyObjectRef, _ kwargs: PyObjectRef?) -> PyObjectRef? {
    do throws(PythonError) {
        let (object, _) = unsafe try newSignature.unpack(tuple: args, dict: kwargs)
        return unsafe try MemoryViewObject.make(from: object!).object
    } catch {
        error.raise()
        return nil
    }
}

/// `MemoryView(obj)`, the type's vectorcall (CPython 3.11's memoryview has none: its call
/// builds an argument tuple, ~200 instructions swiftbuf's skips).
@_cdecl("swiftbuf_memoryview_vectorcall")
func memoryviewVectorcall(_ type: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargsf: UInt, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    do throws(PythonError) {
        let (object, _) = unsafe try newSignature.unpack(args, vectorcallArgumentCount(nargsf), kwnames)
        return unsafe try MemoryViewObject.make(from: object!).object
    } catch {
        error.raise()
        return nil
    }
}

// MARK: - Release and GC (memory_dealloc, memory_traverse, memory_clear, release, __enter__/__exit__)

@_cdecl("swiftbuf_memoryview_dealloc")
func memoryviewDealloc(_ object: PyObjectRef) {
    let mv = unsafe MemoryViewHandle(object)
    let type = unsafe swiftbuf_Py_TYPE(object)!
    unsafe PyObject_GC_UnTrack(UnsafeMutableRawPointer(object))
    _ = unsafe MemoryViewObject.releaseIfUnexported(mv)   // none: an exported buffer would hold a reference
    if let mbuf = unsafe mv.pointee.mbuf {
        unsafe mv.pointee.mbuf = nil
        unsafe decref(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self))
    }
    if unsafe mv.pointee.weakreflist != nil { unsafe PyObject_ClearWeakRefs(object) }
    unsafe PyObject_GC_Del(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

@_cdecl("swiftbuf_memoryview_traverse")
func memoryviewTraverse(_ object: PyObjectRef, _ visit: visitproc?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    let mv = unsafe MemoryViewHandle(object)
    if let mbuf = unsafe mv.pointee.mbuf {
        // An unshared managed buffer is not tracked: its one view (this one) visits what it
        // references in its place.
        let r = unsafe mbuf.pointee.flags & SWIFTBUF_MBUF_SHARED != 0
            ? swiftbuf_Py_VISIT(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self), visit, arg)
            : ManagedBuffer.traverse(mbuf, visit, arg)
        if r != 0 { return r }
    }
    return unsafe swiftbuf_Py_VISIT(UnsafeMutableRawPointer(swiftbuf_Py_TYPE(object)).assumingMemoryBound(to: PyObject.self), visit, arg)
}

@_cdecl("swiftbuf_memoryview_clear")
func memoryviewClear(_ object: PyObjectRef) -> Int32 {
    let mv = unsafe MemoryViewHandle(object)
    // A view that still has exported buffers stays registered; CPython reports the same
    // refusal as an unraisable error, we keep the collector quiet.
    _ = unsafe MemoryViewObject.releaseIfUnexported(mv)
    if let mbuf = unsafe mv.pointee.mbuf {
        unsafe mv.pointee.mbuf = nil
        unsafe decref(UnsafeMutableRawPointer(mbuf).assumingMemoryBound(to: PyObject.self))
    }
    return 0
}

// Neither slot throws on its common path: a throw inside a slot keeps the error's registers
// saved on every call, success included (`m.release()` of a released view 129 instructions
// against the builtin's 108 under callgrind, before).
@_cdecl("swiftbuf_memoryview_release") @inline(never)   // see `attribute`
func memoryviewRelease(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.pointee.flags & SWIFTBUF_MV_RELEASED != 0 { return unsafe pyNone }   // releasing twice is no error
    return unsafe releaseOrRaise(mv)
}

// The refusal raised out of line, not thrown: the do/catch kept the error in saved registers
// (MV(b).release() 1425 -> 1419 instructions under callgrind, builtin 1336).
@inline(never)
private func releaseOrRaise(_ mv: MemoryViewHandle) -> PyObjectRef? {
    let exports = unsafe MemoryViewObject.releaseIfUnexported(mv)
    if exports != 0 { return unsafe raising(MemoryViewObject.refusal(exports)) }
    return unsafe pyNone
}

@_cdecl("swiftbuf_memoryview_enter") @inline(never)   // see `attribute`
func memoryviewEnter(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.isInaccessible { return unsafe mv.raiseReleased() }
    return unsafe newReference(object)
}

@_cdecl("swiftbuf_memoryview_exit")
func memoryviewExit(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe memoryviewRelease(object, nil)
}

// MARK: - getbuffer (memory_getbuf, memory_releasebuf)

// The hot path of every consumer: no allocation, one table of checks in ExportRules.
@_cdecl("swiftbuf_memoryview_getbuffer")
func memoryviewGetbuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>, _ flags: Int32) -> Int32 {
    let mv = unsafe MemoryViewHandle(object)
    unsafe view.pointee.obj = nil
    // Checks first, refusals raised out of line: with a throw in the slot, the success path
    // saved registers for the throw hook (105 instructions against memory_getbuf's 50).
    if unsafe mv.isInaccessible { return raisingInt(.released) }
    let request = BufferRequest(rawValue: flags)
    if let refusal = unsafe ExportRules.refusal(of: request, readonly: mv.pointee.view.readonly != 0, contiguity: mv.contiguity) {
        return raisingInt(.core(ExporterVoice.memoryview.refuse(refusal)))
    }
    unsafe view.fill(ExportRules.granted(request, base: mv.layout), exporter: object)
    unsafe mv.pointee.exports += 1
    return 0
}

@_cdecl("swiftbuf_memoryview_releasebuffer")
func memoryviewReleasebuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>) {
    unsafe MemoryViewHandle(object).pointee.exports -= 1
}

// MARK: - Attributes

/// A getter of a view that must not be released.
///
/// Each getter's entry point is `@inline(never)`: the C thunk `@_cdecl` makes then jumps to
/// the optimised function. A getter small enough to be inlined into its thunk is compiled
/// there without the C API's inline functions inlined (`m.obj` called a Py_INCREF
/// function and saved a register: 23 instructions instead of 9).
@inline(__always)
private func attribute(_ object: PyObjectRef, _ body: (MemoryViewHandle) -> PyObjectRef?) -> PyObjectRef? {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.isInaccessible { return unsafe mv.raiseReleased() }
    return unsafe body(mv)
}

/// `_IntTupleFromSsizet`: an absent array is the empty tuple (memoryview's and Buffer's getters). Inlined, with the tuple of a
/// present array built out of line, so a getter saves no registers before it knows which: an
/// absent array is a jump to PyTuple_New, a present one a jump to `pyTuple`. (With `pyTuple`
/// inlined the getter pushed four registers and called PyTuple_New for an absent array too.)
@inline(__always)
func intTuple(_ values: UnsafeMutablePointer<Int>?, _ count: Int) -> PyObjectRef? {
    guard let values = unsafe values else { return unsafe pyEmptyTuple() }
    return unsafe presentIntTuple(values, count)
}

@inline(never)
private func presentIntTuple(_ values: UnsafeMutablePointer<Int>, _ count: Int) -> PyObjectRef? {
    unsafe pyTuple(values, count: count)
}

@_cdecl("swiftbuf_memoryview_get_obj") @inline(never)
func memoryviewObj(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe mv.pointee.view.obj.map(newReference) ?? pyNone }
}
@_cdecl("swiftbuf_memoryview_get_nbytes") @inline(never)
func memoryviewNbytes(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe PyLong_FromSsize_t(mv.pointee.view.len) }
}
@_cdecl("swiftbuf_memoryview_get_readonly") @inline(never)
func memoryviewReadonly(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe pyBool(mv.pointee.view.readonly != 0) }
}
@_cdecl("swiftbuf_memoryview_get_itemsize") @inline(never)
func memoryviewItemsize(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe PyLong_FromSsize_t(mv.pointee.view.itemsize) }
}
@_cdecl("swiftbuf_memoryview_get_format") @inline(never)
func memoryviewFormat(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe PyUnicode_FromString(mv.pointee.view.format) }
}
@_cdecl("swiftbuf_memoryview_get_ndim") @inline(never)
func memoryviewNdim(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe PyLong_FromLong(Int(mv.pointee.view.ndim)) }
}
@_cdecl("swiftbuf_memoryview_get_shape") @inline(never)
func memoryviewShape(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe intTuple(mv.pointee.view.shape, Int(mv.pointee.view.ndim)) }
}
@_cdecl("swiftbuf_memoryview_get_strides") @inline(never)
func memoryviewStrides(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe intTuple(mv.pointee.view.strides, Int(mv.pointee.view.ndim)) }
}
@_cdecl("swiftbuf_memoryview_get_suboffsets") @inline(never)
func memoryviewSuboffsets(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe intTuple(mv.pointee.view.suboffsets, Int(mv.pointee.view.ndim)) }
}
@_cdecl("swiftbuf_memoryview_get_c_contiguous") @inline(never)
func memoryviewCContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe pyBool(mv.memoryView.isCContiguous) }
}
@_cdecl("swiftbuf_memoryview_get_f_contiguous") @inline(never)
func memoryviewFContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe pyBool(mv.memoryView.isFortranContiguous) }
}
@_cdecl("swiftbuf_memoryview_get_contiguous") @inline(never)
func memoryviewContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { mv in unsafe pyBool(mv.memoryView.isContiguous) }
}

// MARK: - repr (memory_repr)

@_cdecl("swiftbuf_memoryview_repr")
func memoryviewRepr(_ object: PyObjectRef) -> PyObjectRef? {
    // "%p" as PyUnicode_FromFormat prints it: 0x and lowercase hex digits. Written straight
    // into the str (a Swift String built by interpolation and converted cost 1.15x the
    // builtin's instructions under callgrind).
    let released = unsafe MemoryViewHandle(object).pointee.flags & SWIFTBUF_MV_RELEASED != 0
    let prefix: StaticString = released ? "<released memory at 0x" : "<memory at 0x"
    var address = UInt(bitPattern: object)
    let digits = max(1, (UInt.bitWidth - address.leadingZeroBitCount + 3) / 4)
    let count = prefix.utf8CodeUnitCount + digits + 1
    guard let result = unsafe PyUnicode_New(count, 127) else { return nil }
    let out = unsafe swiftbuf_PyUnicode_1BYTE_DATA(result)!
    unsafe out.update(from: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
    var i = count - 2
    for _ in 0..<digits {
        let d = UInt8(truncatingIfNeeded: address & 0xF)
        unsafe out[i] = d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10
        address >>= 4
        i -= 1
    }
    unsafe out[count - 1] = UInt8(ascii: ">")
    return unsafe result
}
