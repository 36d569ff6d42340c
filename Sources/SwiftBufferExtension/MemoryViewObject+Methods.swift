// MARK: - tolist, tobytes, hex (memoryview_tolist_impl, memoryview_tobytes_impl, memoryview_hex_impl)
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

@_cdecl("swiftbuf_memoryview_tolist")
func memoryviewTolist(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    // The checks and the 0-d element raise rather than throw (nothing else can fail there), so
    // the slot saves no error registers; the lists are built behind the throwing layer.
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.isInaccessible { return unsafe mv.raiseReleased() }
    guard let character = unsafe mv.cachedFormatCharacter else { return unsafe mv.raiseUnsupportedFormat() }
    let buffer = unsafe mv.buffer
    // No Python code ran since the check: the element without a second one.
    if unsafe buffer.pointee.ndim == 0 { return unsafe unpackedElement(buffer.pointee.buf!, character) }
    return unsafe nestedTolist(mv, character)
}

/// `tolist` of a view of one or more dimensions, its errors raised.
@inline(never)
private func nestedTolist(_ mv: MemoryViewHandle, _ character: UInt8) -> PyObjectRef? {
    do throws(PythonError) {
        let code: ElementCodec.Code
        do throws(SwiftBufferError) { code = try MemoryView.elementCode(character) } catch {
            // Unsupported formats fail at the first element read, so views with no element
            // still give (nested) empty lists.
            if unsafe mv.buffer.pointee.len != 0 { throw .core(error) }
            code = .unsignedChar
        }
        return unsafe try nestedList(of: mv, code: code)
    } catch {
        error.raise()
        return nil
    }
}

/// The view's lists. Not inlined: the copy of the layout the walk takes would otherwise be
/// made before the 0-d and error checks of the caller too (10 instructions on a 0-d tolist).
@inline(never)
private func nestedList(of mv: MemoryViewHandle, code: ElementCodec.Code) throws(PythonError) -> PyObjectRef {
    let layout = unsafe mv.memoryView.layout
    return unsafe try nestedList(layout, at: layout.buf!, code: code, checking: mv)
}

/// `tolist_rec`/`tolist_base` for both tolists (memoryview's and `_testbuffer`'s native
/// formats): the core's walk with the element conversion chosen once per call. `checking`: the
/// view to check again after each non-empty list is made (CHECK_RELEASED_AGAIN).
func nestedList(_ layout: BufferDescriptor, at base: UnsafeMutableRawPointer, code: ElementCodec.Code,
                checking view: MemoryViewHandle?) throws(PythonError) -> PyObjectRef {
    func build<C: ElementConversion>(_ convert: C) throws(PythonError) -> PyObjectRef {
        unsafe try nestedList(layout, at: base, convert, checking: view)
    }
    // Each native code its own specialisation of the walk, so no element switches on the
    // code: through one conversion that switched per element, `m.tolist()` of 4096 'h' cost 21
    // instructions an element in the walk (memoryview_tolist: 33), through `Fixed` 14. The six most common keep their
    // one-line conversions (what `elementObject` does for them): through `Fixed`, 'B' took
    // 14 instead of 12, from register allocation alone.
    switch code {
    case .unsignedChar: return unsafe try build(UnsignedCharElement())
    case .signedChar: return unsafe try build(SignedCharElement())
    case .double: return unsafe try build(DoubleElement())
    case .long, .longLong, .ssize: return unsafe try build(LongElement())
    case .int: return unsafe try build(IntElement())
    case .float: return unsafe try build(FloatElement())
    case .char: return unsafe try build(Fixed<CharCode>())
    case .bool: return unsafe try build(Fixed<BoolCode>())
    case .short: return unsafe try build(Fixed<ShortCode>())
    case .unsignedShort: return unsafe try build(Fixed<UnsignedShortCode>())
    case .unsignedInt: return unsafe try build(Fixed<UnsignedIntCode>())
    case .unsignedLong: return unsafe try build(Fixed<UnsignedLongCode>())
    case .unsignedLongLong: return unsafe try build(Fixed<UnsignedLongLongCode>())
    case .size: return unsafe try build(Fixed<SizeCode>())
    case .pointer: return unsafe try build(Fixed<PointerCode>())
    case .half: return unsafe try build(Fixed<HalfCode>())
    }
}

/// The nested lists of `layout` with elements at `base`, each made by `convert`.
@inline(__always)
func nestedList<C: ElementConversion>(_ layout: BufferDescriptor, at base: UnsafeMutableRawPointer, _ convert: C,
                                      checking view: MemoryViewHandle?) throws(PythonError) -> PyObjectRef {
    unsafe try Layout.buildNested(layout, at: base, ListBuilder(view: view, convert: convert))
}

/// One element's Python object, or nil with the exception set (not throwing: the conversion
/// is inlined into the walk's loop, which throws once).
protocol ElementConversion {
    func object(_ pointer: UnsafeRawPointer) -> PyObjectRef?
}

// The common native codes, each its own type so that the walk is specialised for it.
private struct UnsignedCharElement: ElementConversion {
    @inline(__always) func object(_ p: UnsafeRawPointer) -> PyObjectRef? { unsafe PyLong_FromLong(Int(p.load(as: UInt8.self))) }
}
private struct SignedCharElement: ElementConversion {
    @inline(__always) func object(_ p: UnsafeRawPointer) -> PyObjectRef? { unsafe PyLong_FromLong(Int(p.load(as: Int8.self))) }
}
private struct DoubleElement: ElementConversion {
    @inline(__always) func object(_ p: UnsafeRawPointer) -> PyObjectRef? { unsafe PyFloat_FromDouble(p.loadUnaligned(as: Double.self)) }
}
private struct LongElement: ElementConversion {
    @inline(__always) func object(_ p: UnsafeRawPointer) -> PyObjectRef? { unsafe PyLong_FromLong(p.loadUnaligned(as: Int.self)) }
}
private struct IntElement: ElementConversion {
    @inline(__always) func object(_ p: UnsafeRawPointer) -> PyObjectRef? { unsafe PyLong_FromLong(Int(p.loadUnaligned(as: Int32.self))) }
}
private struct FloatElement: ElementConversion {
    @inline(__always) func object(_ p: UnsafeRawPointer) -> PyObjectRef? { unsafe PyFloat_FromDouble(Double(p.loadUnaligned(as: Float.self))) }
}

/// A native code fixed at compile time.
private protocol FixedCode { static var code: ElementCodec.Code { get } }
private enum CharCode: FixedCode { static var code: ElementCodec.Code { .char } }
private enum BoolCode: FixedCode { static var code: ElementCodec.Code { .bool } }
private enum ShortCode: FixedCode { static var code: ElementCodec.Code { .short } }
private enum UnsignedShortCode: FixedCode { static var code: ElementCodec.Code { .unsignedShort } }
private enum UnsignedIntCode: FixedCode { static var code: ElementCodec.Code { .unsignedInt } }
private enum UnsignedLongCode: FixedCode { static var code: ElementCodec.Code { .unsignedLong } }
private enum UnsignedLongLongCode: FixedCode { static var code: ElementCodec.Code { .unsignedLongLong } }
private enum SizeCode: FixedCode { static var code: ElementCodec.Code { .size } }
private enum PointerCode: FixedCode { static var code: ElementCodec.Code { .pointer } }
private enum HalfCode: FixedCode { static var code: ElementCodec.Code { .half } }

/// `elementObject` of a code known when the walk is specialised.
private struct Fixed<K: FixedCode>: ElementConversion {
    @inline(__always) func object(_ pointer: UnsafeRawPointer) -> PyObjectRef? { unsafe elementObject(K.code, pointer) }
}

/// Python lists for the core's `Layout.buildNested`. Element objects (ints, floats, bytes,
/// bools) are not GC-tracked, so only making a list can run finalizers that release the view:
/// one check per non-empty list, as CPython's.
@unsafe struct ListBuilder<C: ElementConversion>: @unsafe NestedBuilder {
    let view: MemoryViewHandle?
    let convert: C

    @inline(__always)
    func beginRow(count: Int) throws(PythonError) -> PyObjectRef {
        let list = unsafe try checked(PyList_New(count))
        if count > 0, let view = unsafe view {
            do throws(PythonError) { unsafe try view.checkReleased() } catch {
                unsafe decref(list)
                throw error
            }
        }
        return unsafe list
    }

    @inline(__always)
    func element(_ pointer: UnsafeRawPointer) throws(PythonError) -> PyObjectRef {
        guard let item = unsafe convert.object(pointer) else { throw .alreadySet }
        return unsafe item
    }

    @inline(__always)
    func store(_ item: PyObjectRef, at index: Int, in row: PyObjectRef) {
        // The item array directly: PyList_SET_ITEM asserts the list's type at every item.
        unsafe swiftbuf_PyList_ITEMS(row).unsafelyUnwrapped[index] = unsafe item
    }

    @inline(__always)
    func abandon(_ row: PyObjectRef) { unsafe decref(row) }
}

private let tobytesSignature = ClinicSignature("tobytes", "order", count: 1, positional: 1)

/// `tobytes`'s arguments (memoryview's and swiftbuf.Buffer's): the `order` text, nil when
/// absent or None, for `MemoryView.bytesOrder`. Valid while the argument lives.
@inline(__always)
func tobytesOrderArgument(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) throws(PythonError) -> UnsafeBufferPointer<UInt8>? {
    let (orderArgument, _) = unsafe try tobytesSignature.unpack(args, nargs, kwnames)
    guard let o = unsafe orderArgument, unsafe o != swiftbuf_Py_None() else { return nil }
    guard unsafe swiftbuf_PyUnicode_Check(o) != 0 else { throw unsafe badArgument("tobytes", "order", expected: "str or None", o) }
    let s = unsafe try utf8(o)
    if unsafe s.contains(0) { throw .literal(.valueError, "embedded null character") }
    return unsafe s
}

@_cdecl("swiftbuf_memoryview_tobytes")
func memoryviewTobytes(_ object: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    do throws(PythonError) {
        let order = unsafe try tobytesOrderArgument(args, nargs, kwnames)
        let mv = unsafe MemoryViewHandle(object)
        unsafe try mv.checkReleased()
        // No order is C order without the parser's call (callgrind: 0-d tobytes() 360 -> 344
        // instructions, builtin 338).
        let resolved = unsafe order == nil ? .c : try core { () throws(SwiftBufferError) in unsafe try MemoryView.bytesOrder(order) }
        let view = unsafe mv.memoryView
        let bytes = unsafe try checked(PyBytes_FromStringAndSize(nil, view.layout.len))
        unsafe view.copyBytes(into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(bytes)), order: resolved)
        return unsafe bytes
    } catch {
        error.raise()
        return nil
    }
}

private let hexSignature = ClinicSignature("hex", "sep\0bytes_per_sep", count: 2, positional: 2)

@_cdecl("swiftbuf_memoryview_hex")
func memoryviewHex(_ object: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    do throws(PythonError) {
        let (sep, groupArgument) = unsafe try hexSignature.unpack(args, nargs, kwnames)
        var group: Int32 = 1
        if let g = unsafe groupArgument {
            let v = unsafe swiftbuf_PyLong_AsInt(g)
            if unsafe v == -1 && PyErr_Occurred() != nil { throw .alreadySet }
            group = v
        }
        let mv = unsafe MemoryViewHandle(object)
        unsafe try mv.checkReleased()
        var separator: UInt8 = 0
        if let sep = unsafe sep {
            let length: Int
            if unsafe swiftbuf_PyUnicode_CheckExact(sep) != 0 {
                length = unsafe swiftbuf_PyUnicode_GET_LENGTH(sep)
            } else if unsafe swiftbuf_PyBytes_CheckExact(sep) != 0 {
                length = unsafe swiftbuf_PyBytes_GET_SIZE(sep)
            } else {
                // len(sep) may run Python code: hold an export meanwhile, so that releasing the
                // view from there fails with BufferError instead of freeing the memory we are
                // about to read (CPython's fix for gh-143195). A str or bytes runs none: its
                // length is read in place (PyObject_Size and the pin were ~60 of
                // `m.hex(':')`'s instructions on 3 bytes).
                length = unsafe try mv.withPinnedExport { () throws(PythonError) in
                    let n = unsafe PyObject_Size(sep)
                    if n < 0 { throw .alreadySet }
                    return n
                }
            }
            separator = unsafe try hexSeparator(sep, length: length)
        } else {
            group = 0
        }
        // The byte count and the cached contiguity read in place; the whole view only to gather
        // a non-contiguous one (copied out first, it was ~20 of `m.hex()`'s instructions).
        let byteCount = unsafe mv.pointee.view.len
        let length: Int
        do throws(SwiftBufferError) { length = try MemoryView.hexLength(byteCount: byteCount, bytesPerSeparator: group) } catch {
            throw .noMemory
        }
        let result = unsafe try checked(PyUnicode_New(length, 127))
        let out = unsafe swiftbuf_PyUnicode_1BYTE_DATA(result)!
        let contiguity = unsafe mv.contiguity
        if contiguity.contains(.c) || contiguity.contains(.scalar) {   // MemoryView.isCContiguous
            unsafe MemoryView.writeHex(UnsafeRawBufferPointer(start: mv.pointee.view.buf, count: byteCount), separator: separator,
                                bytesPerSeparator: group, into: out)
        } else {
            let copy = unsafe try temporary(byteCount)
            defer { unsafe PyMem_Free(copy) }
            unsafe mv.memoryView.copyBytes(into: copy, order: .c)
            unsafe MemoryView.writeHex(UnsafeRawBufferPointer(start: copy, count: byteCount), separator: separator,
                                bytesPerSeparator: group, into: out)
        }
        return unsafe result
    } catch {
        error.raise()
        return nil
    }
}

/// The separator character of `hex(sep)` (`_Py_strhex_impl`), whose `len()` is `n`: one
/// ASCII character, as str or bytes.
private func hexSeparator(_ sep: PyObjectRef, length n: Int) throws(PythonError) -> UInt8 {
    if n != 1 { throw .literal(.valueError, "sep must be length 1.") }
    let c: UInt32
    if unsafe swiftbuf_PyUnicode_Check(sep) != 0 {
        if unsafe swiftbuf_PyUnicode_KIND(sep) != 1 { throw .literal(.valueError, "sep must be ASCII.") }
        c = unsafe swiftbuf_PyUnicode_READ_CHAR(sep, 0)
    } else if unsafe swiftbuf_PyBytes_Check(sep) != 0 {
        c = unsafe UInt32(UInt8(bitPattern: swiftbuf_PyBytes_AS_STRING(sep)[0]))
    } else {
        throw .literal(.typeError, "sep must be str or bytes.")
    }
    if c > 127 { throw .literal(.valueError, "sep must be ASCII.") }
    return UInt8(c)
}

// MARK: - cast, toreadonly (memoryview_cast_impl, memoryview_toreadonly_impl)

private let castSignature = ClinicSignature("cast", "format\0shape", count: 2, required: 1, positional: 2)

@_cdecl("swiftbuf_memoryview_cast")
func memoryviewCast(_ object: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    let format: PyObjectRef, shape: PyObjectRef?
    do throws(PythonError) {
        let (formatArgument, shapeArgument) = unsafe try castSignature.unpack(args, nargs, kwnames)
        unsafe (format, shape) = unsafe (formatArgument!, shapeArgument)
        guard unsafe swiftbuf_PyUnicode_Check(format) != 0 else { throw unsafe badArgument("cast", "format", expected: "str", format) }
    } catch {
        error.raise()
        return nil
    }
    return unsafe MemoryViewHandle(object).cast(to: format, shape: shape)
}

extension MemoryViewHandle {
    /// `memoryview_cast_impl` (`MemoryView.cast`): a new view of the same export with element
    /// format `format` (a str) and, if given, `shape` (a list or tuple); NULL with the error
    /// raised (rethrown to the slot, a refusal went through the runtime's throw hook once more).
    func cast(to format: PyObjectRef, shape: PyObjectRef?) -> PyObjectRef? {
        let mv = unsafe self
        var result: MemoryViewHandle? = nil
        var ascii: PyObjectRef? = nil
        defer { if let ascii = unsafe ascii { unsafe decref(ascii) } }
        // PyUnicode_AsASCIIString's bytes, read in place when the str is compact ASCII (what
        // that copy would hold, and reading them has no effect, so it may come before the
        // checks that precede it); any other str goes through it, for its error.
        let inPlace = unsafe swiftbuf_PyUnicode_IS_COMPACT_ASCII(format) != 0
            ? unsafe formatPrefix(swiftbuf_PyUnicode_ASCII_DATA(format)!) : nil
        do throws(PythonError) {
            unsafe try mv.checkReleased()
            let view = unsafe try mv.memoryView.cast(
                sourceCharacter: mv.pointee.code == 0 ? nil : UInt8(truncatingIfNeeded: mv.pointee.code),
                shapeGiven: shape != nil,
                shapeLength: { () throws(PythonError) -> Int in
                    guard unsafe swiftbuf_PyList_Check(shape!) != 0 || swiftbuf_PyTuple_Check(shape!) != 0 else {
                        throw .literal(.typeError, "shape must be a list or a tuple")
                    }
                    return unsafe PySequence_Fast_GET_SIZE_shim(shape!)
                },
                makeView: { (ndim: Int) throws(PythonError) -> BufferDescriptor in
                    let (made, layout) = unsafe try MemoryViewObject.addIncompleteView(mv.pointee.mbuf!, mv.buffer, ndim: ndim)
                    unsafe result = unsafe made
                    return layout
                },
                format: { () throws(PythonError) -> UnsafeRawBufferPointer in
                    if let bytes = unsafe inPlace { return unsafe bytes }
                    return unsafe try asciiFormat(format, into: &ascii)
                },
                extent: { (i: Int) throws(PythonError) -> Int in
                    let item = unsafe PySequence_Fast_GET_ITEM_shim(shape!, i)!
                    guard unsafe swiftbuf_PyLong_Check(item) != 0 else {
                        throw .literal(.typeError, "memoryview.cast(): elements of shape must be integers")
                    }
                    let extent = unsafe PyLong_AsSsize_t(item)
                    if unsafe extent == -1 && PyErr_Occurred() != nil { throw .alreadySet }
                    return extent
                })
            // The new format is "x" or "@x" (castFormat's), so its character is read directly:
            // through MemoryView.formatCharacter(of:), the general recogniser, a cast cost ~20
            // instructions more (callgrind: m.cast('d') 618 -> 638, builtin 635).
            let newFormat = unsafe view.layout.format!
            let code = unsafe Int32(UInt8(bitPattern: newFormat[0] == 0x40 ? newFormat[1] : newFormat[0]))
            unsafe result!.install(view, code: code)
            return unsafe result!.object
        } catch {
            if let result = unsafe result { unsafe decref(result.object) }
            error.raise()
            return nil
        }
    }
}

/// The cast's format `PyUnicode_AsASCIIString(format)` (out of line: a compact ASCII str is
/// read in place), kept in `ascii` for the caller to free.
@inline(never)
private func asciiFormat(_ format: PyObjectRef, into ascii: inout PyObjectRef?) throws(PythonError) -> UnsafeRawBufferPointer {
    let bytes = unsafe try checked(PyUnicode_AsASCIIString(format))
    unsafe ascii = unsafe bytes
    return unsafe formatPrefix(swiftbuf_PyBytes_AS_STRING(bytes)!)
}

/// A format read as the C string CPython reads ('B\0junk' is 'B'), to its third character at
/// most: no longer format is valid (strlen was 13 instructions of every cast under callgrind).
@inline(__always)
private func formatPrefix(_ start: UnsafePointer<CChar>) -> UnsafeRawBufferPointer {
    let count = unsafe start[0] == 0 ? 0 : start[1] == 0 ? 1 : start[2] == 0 ? 2 : 3
    return unsafe UnsafeRawBufferPointer(start: start, count: count)
}

@_cdecl("swiftbuf_memoryview_toreadonly")
func memoryviewToreadonly(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    do throws(PythonError) {
        let mv = unsafe MemoryViewHandle(object)
        unsafe try mv.checkReleased()
        // A new view even when this one is read-only, so that release() works per view.
        var (result, layout) = unsafe try MemoryViewObject.prepareView(mv.pointee.mbuf!, mv.buffer)
        layout.readonly = true
        // The source's layout with its arrays copied: its flags and format character are the
        // new view's, as init_flags would find them again (callgrind: ~15 instructions). Not
        // its released bit: the allocation may have run a finalizer that released the source.
        unsafe result.install(MemoryView(layout: layout, contiguity: mv.contiguity), code: mv.pointee.code)
        return unsafe result.object
    } catch {
        error.raise()
        return nil
    }
}

// MARK: - count, index (CPython 3.14's memoryview_count_impl, memoryview_index_impl)

@_cdecl("swiftbuf_memoryview_count")
func memoryviewCount(_ object: PyObjectRef, _ value: PyObjectRef) -> PyObjectRef? {
    do throws(PythonError) {
        // 3.14 counts over iter(self): its errors are the iterator's.
        let mv = unsafe MemoryViewHandle(object)
        let character = unsafe try mv.iterationFormatCharacter()
        var count = 0
        var i = 0
        // The comparison may run Python code that releases the view (its shape stays put).
        while unsafe i < mv.pointee.view.shape![0] {
            unsafe try mv.checkReleased()
            let view = unsafe mv.memoryView
            let item = unsafe try unpackElement(mv, Layout.address(i, of: view.layout.buf!, stride: view.layout.strides![0],
                                                                    suboffsets: view.layout.suboffsets, dimension: 0), character)
            defer { unsafe decref(item) }
            if unsafe item == value {
                count += 1
            } else {
                let equal = unsafe PyObject_RichCompareBool(item, value, Py_EQ)
                if equal < 0 { throw .alreadySet }
                if equal > 0 { count += 1 }
            }
            i += 1
        }
        return unsafe PyLong_FromSsize_t(count)
    } catch {
        error.raise()
        return nil
    }
}

@_cdecl("swiftbuf_memoryview_index")
func memoryviewIndex(_ object: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    do throws(PythonError) {
        try checkPositional("index", nargs, min: 1, max: 3)
        let value = unsafe args![0]!
        var start = 0, stop = Int.max
        if unsafe nargs >= 2 && _PyEval_SliceIndexNotNone(args![1], &start) == 0 { throw .alreadySet }
        if unsafe nargs >= 3 && _PyEval_SliceIndexNotNone(args![2], &stop) == 0 { throw .alreadySet }
        let mv = unsafe MemoryViewHandle(object)
        unsafe try mv.checkReleased()
        let ndim = unsafe mv.pointee.view.ndim
        if ndim == 0 { throw .literal(.typeError, "invalid lookup on 0-dim memory") }
        if ndim != 1 { throw .literal(.notImplementedError, "multi-dimensional lookup is not implemented") }
        // The comparison may run Python code that releases the view; its shape stays put.
        for i in unsafe MemoryView.searchRange(start: start, stop: stop, length: mv.pointee.view.shape![0]) {
            let item = unsafe try mv.item(i)
            defer { unsafe decref(item) }
            if unsafe item == value { return unsafe PyLong_FromSsize_t(i) }
            let equal = unsafe PyObject_RichCompareBool(item, value, Py_EQ)
            if equal < 0 { throw .alreadySet }
            if equal > 0 { return unsafe PyLong_FromSsize_t(i) }
        }
        throw .literal(.valueError, "memoryview.index(x): x not found")
    } catch {
        error.raise()
        return nil
    }
}
