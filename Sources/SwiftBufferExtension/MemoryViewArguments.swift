// The one argument parser of the bridge's keyword-taking functions: argument clinic's
// `_PyArg_UnpackKeywords` of CPython 3.11, word for word (its checks in its order, and its
// messages), so every misuse raises the builtin's message. It allocates nothing: the
// arguments land in `ClinicArguments` on the stack, and the fast path (positional arguments
// only, within bounds) is a comparison or two, inlined: `cast`, `tobytes` and `hex` are on
// benchmarked paths. `_testbuffer`'s functions use CPython's own `PyArg_ParseTuple*` instead
// (`ArgumentCells`), as `_testbuffer` does.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

/// The arguments of one call (borrowed; nil where not given), at most eight, on the stack.
@unsafe struct ClinicArguments {
    private var slots: (PyObjectRef?, PyObjectRef?, PyObjectRef?, PyObjectRef?,
                        PyObjectRef?, PyObjectRef?, PyObjectRef?, PyObjectRef?) = (nil, nil, nil, nil, nil, nil, nil, nil)

    @inline(__always)
    subscript(i: Int) -> PyObjectRef? {
        get { unsafe withUnsafeBytes(of: slots) { unsafe $0.load(fromByteOffset: i * MemoryLayout<PyObjectRef?>.stride, as: PyObjectRef?.self) } }
        set { unsafe withUnsafeMutableBytes(of: &slots) { unsafe $0.storeBytes(of: newValue, toByteOffset: i * MemoryLayout<PyObjectRef?>.stride, as: PyObjectRef?.self) } }
    }

    var pair: (PyObjectRef?, PyObjectRef?) { unsafe (slots.0, slots.1) }
}

/// The interned parameter names of each signature that has been called with keywords, by
/// the address of its `names` literal: an open-addressed table of fixed size (nine signatures
/// today), probed from a slot hashed from that address, so a lookup is one or two compares.
/// Reached through a constant pointer so that no access to it is checked for exclusivity (a
/// Swift array in a global `var` cost ~60 instructions of runtime access tracking per keyword
/// call).
private let internedNameCapacity = 32
nonisolated(unsafe) private let internedNameTables: UnsafeMutablePointer<(names: UnsafeRawPointer?, table: UnsafeMutablePointer<PyObjectRef?>?)> = {
    let tables = UnsafeMutablePointer<(names: UnsafeRawPointer?, table: UnsafeMutablePointer<PyObjectRef?>?)>.allocate(capacity: internedNameCapacity)
    unsafe tables.initialize(repeating: (nil, nil), count: internedNameCapacity)
    return unsafe tables
}()

/// A call's arguments, for `_PyArg_UnpackKeywords`, in either form: METH_FASTCALL |
/// METH_KEYWORDS (`args` with `nargs` positional values, then the values of the keywords
/// named in `kwnames`) or tp_new's (`tuple`, keywords in `dict`). One concrete type whose
/// lookups test the form: a protocol with a type per form stayed a witness call per keyword.
@unsafe private struct ClinicCall {
    let args: UnsafePointer<PyObjectRef?>?
    let nargs: Int
    let kwnames: PyObjectRef?
    let tuple: PyObjectRef?
    let dict: PyObjectRef?
    let nkw: Int

    @inline(__always)
    init(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?, nkw: Int) {
        unsafe (self.args, self.nargs, self.kwnames, self.tuple, self.dict, self.nkw) = unsafe (args, nargs, kwnames, nil, nil, nkw)
    }

    @inline(__always)
    init(tuple: PyObjectRef, _ nargs: Int, dict: PyObjectRef?, nkw: Int) {
        unsafe (self.args, self.nargs, self.kwnames, self.tuple, self.dict, self.nkw) = unsafe (nil, nargs, nil, tuple, dict, nkw)
    }

    /// Positional argument `i`.
    @inline(__always)
    func positional(_ i: Int) -> PyObjectRef? {
        if let tuple = unsafe tuple { return unsafe swiftbuf_PyTuple_GET_ITEM(tuple, i) }
        return unsafe args![i]
    }

    /// The value of the keyword for parameter `i` of `signature` whose interned name is
    /// `interned` (nil if interning failed): in a dict by `PyDict_GetItemWithError`, as
    /// CPython looks it up; in kwnames by identity, then by value (`find_keyword`).
    @inline(__always)
    func value(_ i: Int, interned: PyObjectRef?, of signature: ClinicSignature) throws(PythonError) -> PyObjectRef? {
        if unsafe tuple != nil {
            if let name = unsafe interned {
                if let value = unsafe PyDict_GetItemWithError(dict!, name) { return unsafe value }
                if unsafe PyErr_Occurred() != nil { throw .alreadySet }
                return nil
            }
            var position = 0
            var key: PyObjectRef? = nil
            var value: PyObjectRef? = nil
            while unsafe PyDict_Next(dict!, &position, &key, &value) != 0 { if unsafe signature.matches(key!, i, interned: nil) { return unsafe value } }
            return nil
        }
        if let name = unsafe interned {
            for k in unsafe 0..<nkw where unsafe swiftbuf_PyTuple_GET_ITEM(kwnames!, k) == name { return unsafe args![nargs + k] }
        }
        for k in unsafe 0..<nkw where unsafe signature.matches(swiftbuf_PyTuple_GET_ITEM(kwnames!, k), i, interned: interned) {
            return unsafe args![nargs + k]
        }
        return nil
    }

    /// Each keyword's name, in order (error paths only).
    func forEachName(_ body: (PyObjectRef) throws(PythonError) -> Void) throws(PythonError) {
        if unsafe tuple != nil {
            var position = 0
            var key: PyObjectRef? = nil
            var value: PyObjectRef? = nil
            while unsafe PyDict_Next(dict!, &position, &key, &value) != 0 { unsafe try body(key!) }
        } else {
            for k in unsafe 0..<nkw { unsafe try body(swiftbuf_PyTuple_GET_ITEM(kwnames!, k)) }
        }
    }
}

/// A clinic signature: `count` parameters, `names` (separated by NULs: "format\\0shape", so
/// each is a C string) in order, the first `positionalOnly` of them positional-only, the first
/// `maximumPositional` of them accepted by position, the first `minimumPositional` of them
/// required; the rest are keyword-only. Only literals and integers, so a signature in a
/// global is initialised statically: its use costs no lazy initialisation check, and the fast
/// path reads two integers.
struct ClinicSignature {
    let function: StaticString
    let names: StaticString
    let count: Int
    let minimumPositional: Int
    let maximumPositional: Int
    let positionalOnly: Int

    init(_ function: StaticString, _ names: StaticString, count: Int, required: Int = 0, positional: Int, positionalOnly: Int = 0) {
        self.function = function
        self.names = names
        self.count = count
        self.minimumPositional = required
        self.maximumPositional = positional
        self.positionalOnly = positionalOnly
    }

    /// The arguments of a METH_FASTCALL | METH_KEYWORDS call.
    @inline(__always)
    func arguments(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) throws(PythonError) -> ClinicArguments {
        let nkw = unsafe kwnames.map { unsafe swiftbuf_PyTuple_GET_SIZE($0) } ?? 0
        var a = unsafe ClinicArguments()
        if nkw == 0 && nargs >= minimumPositional && nargs <= maximumPositional {
            // The fast path of _PyArg_UnpackKeywords.
            for i in 0..<nargs { unsafe a[i] = unsafe args![i] }
            return unsafe a
        }
        unsafe try ClinicSignature.unpackSlow(function, names, packedCounts, args, nargs, kwnames, into: &a)
        return unsafe a
    }

    /// The two arguments of a signature of one or two parameters, as `arguments` gives them.
    @inline(__always)
    func unpack(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        let nkw = unsafe kwnames.map { unsafe swiftbuf_PyTuple_GET_SIZE($0) } ?? 0
        if nkw == 0 && nargs >= minimumPositional && nargs <= maximumPositional {
            // The fast path of _PyArg_UnpackKeywords.
            return unsafe (nargs > 0 ? args![0] : nil, nargs > 1 ? args![1] : nil)
        }
        return unsafe try ClinicSignature.unpackPairSlow(function, names, packedCounts, args, nargs, kwnames)
    }

    /// The four counts in one word, so that the slow paths below take the signature as a few
    /// constants in registers: given `self`, the fast path's caller stored the whole signature
    /// to its stack on every call (~12 instructions of each `m.cast('d')` and `MV(b)`).
    @inline(__always)
    private var packedCounts: Int {
        count | minimumPositional << 8 | maximumPositional << 16 | positionalOnly << 24
    }

    private init(_ function: StaticString, _ names: StaticString, packedCounts c: Int) {
        self.init(function, names, count: c & 0xff, required: (c >> 8) & 0xff, positional: (c >> 16) & 0xff,
                  positionalOnly: (c >> 24) & 0xff)
    }

    /// Everything but the fast path, out of line so the fast path stays small.
    @inline(never)
    private static func unpackSlow(_ function: StaticString, _ names: StaticString, _ counts: Int,
                                   _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?,
                                   into a: inout ClinicArguments) throws(PythonError) {
        let signature = ClinicSignature(function, names, packedCounts: counts)
        let nkw = unsafe kwnames.map { unsafe swiftbuf_PyTuple_GET_SIZE($0) } ?? 0
        unsafe try signature.unpack(nargs: nargs, nkw: nkw, ClinicCall(args, nargs, kwnames, nkw: nkw), into: &a)
    }

    /// `unpackSlow` for the two-parameter form, returning the pair: the caller keeps no
    /// argument array on its stack (which cost it a stack protector on every call).
    @inline(never)
    private static func unpackPairSlow(_ function: StaticString, _ names: StaticString, _ counts: Int,
                                       _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        var a = unsafe ClinicArguments()
        unsafe try unpackSlow(function, names, counts, args, nargs, kwnames, into: &a)
        return unsafe a.pair
    }

    /// The arguments of a tp_new call (`args` tuple, `kwargs` dict).
    @inline(__always)
    func arguments(tuple: PyObjectRef, dict: PyObjectRef?) throws(PythonError) -> ClinicArguments {
        let nargs = unsafe swiftbuf_PyTuple_GET_SIZE(tuple)
        let nkw = unsafe dict.map { unsafe swiftbuf_PyDict_GET_SIZE($0) } ?? 0
        var a = unsafe ClinicArguments()
        if nkw == 0 && nargs >= minimumPositional && nargs <= maximumPositional {
            for i in 0..<nargs { unsafe a[i] = unsafe swiftbuf_PyTuple_GET_ITEM(tuple, i) }
            return unsafe a
        }
        unsafe try unpack(nargs: nargs, nkw: nkw, ClinicCall(tuple: tuple, nargs, dict: dict, nkw: nkw), into: &a)
        return unsafe a
    }

    /// The two arguments of a tp_new call of a signature of one or two parameters. The fast
    /// path (no keyword dict, positional count within bounds) reads the tuple's items
    /// directly, as clinic's macro does before calling `_PyArg_UnpackKeywords`: going through
    /// `arguments(tuple:dict:)` cost `MV(b)` 75 instructions, this costs under 10.
    @inline(__always)
    func unpack(tuple: PyObjectRef, dict: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        let nargs = unsafe swiftbuf_PyTuple_GET_SIZE(tuple)
        if unsafe dict == nil && nargs >= minimumPositional && nargs <= maximumPositional {
            return unsafe (nargs > 0 ? swiftbuf_PyTuple_GET_ITEM(tuple, 0) : nil, nargs > 1 ? swiftbuf_PyTuple_GET_ITEM(tuple, 1) : nil)
        }
        return unsafe try ClinicSignature.unpackSlow(function, names, packedCounts, tuple: tuple, dict: dict)
    }

    @inline(never)
    private static func unpackSlow(_ function: StaticString, _ names: StaticString, _ counts: Int,
                                   tuple: PyObjectRef, dict: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        unsafe try ClinicSignature(function, names, packedCounts: counts).arguments(tuple: tuple, dict: dict).pair
    }

    /// The parameters' names as interned strings, made on this signature's first call with
    /// keywords and kept (CPython's clinic parsers intern theirs once, in `_PyArg_Parser`);
    /// nil if interning failed, and then names are compared by value only.
    @inline(__always)
    private func internedNames() -> UnsafeMutablePointer<PyObjectRef?>? {
        let key = unsafe UnsafeRawPointer(names.utf8Start)
        var slot = (Int(bitPattern: key) >> 3) & (internedNameCapacity - 1)
        let tables = unsafe internedNameTables
        if unsafe tables[slot].names == key { return unsafe tables[slot].table }
        return unsafe internNames(from: &slot, tables)
    }

    /// `internedNames` past the first probe: the other slots, and the first call's interning.
    @inline(never)
    private func internNames(from slot: inout Int, _ tables: UnsafeMutablePointer<(names: UnsafeRawPointer?, table: UnsafeMutablePointer<PyObjectRef?>?)>) -> UnsafeMutablePointer<PyObjectRef?>? {
        let key = unsafe UnsafeRawPointer(names.utf8Start)
        var probes = 0
        while let names = unsafe tables[slot].names {
            if unsafe names == key { return unsafe tables[slot].table }
            probes += 1
            if probes == internedNameCapacity { return nil }
            slot = (slot + 1) & (internedNameCapacity - 1)
        }
        let table = UnsafeMutablePointer<PyObjectRef?>.allocate(capacity: count)
        for i in 0..<count {
            guard let name = unsafe PyUnicode_InternFromString(name(i)) else {
                PyErr_Clear()
                for j in 0..<i { unsafe decref(table[j]!) }
                unsafe table.deallocate()
                return nil
            }
            unsafe table[i] = unsafe name
        }
        unsafe tables[slot] = unsafe (key, table)
        return unsafe table
    }

    /// Parameter `i`'s name, NUL-terminated.
    private func name(_ i: Int) -> UnsafePointer<CChar> {
        var p = unsafe UnsafeRawPointer(names.utf8Start).assumingMemoryBound(to: CChar.self)
        for _ in 0..<i { unsafe p += strlen(p) + 1 }
        return unsafe p
    }

    private func nameString(_ i: Int) -> String { unsafe String(cString: name(i)) }

    /// Whether `key` (a keyword's name) is parameter `i`'s, compared by value: `_PyUnicode_EQ`'s
    /// order, the length first, then the characters (a compact ASCII str's are its bytes). With
    /// `PyUnicode_CompareWithASCIIString` for every pair, the by-value pass for a parameter not
    /// given was a sixth of the instructions of NumPy's `__dlpack__(max_version=, dl_device=,
    /// copy=)` call.
    ///
    /// With the parameter's interned name, its length and characters are read from that str
    /// (finding the C name walks the names before it, a `strlen` each: ~100 of the ~2300
    /// instructions of `Buffer(16, readonly=True)`).
    fileprivate func matches(_ key: PyObjectRef, _ i: Int, interned: PyObjectRef?) -> Bool {
        guard unsafe swiftbuf_PyUnicode_Check(key) != 0 else { return false }
        if let interned = unsafe interned, unsafe swiftbuf_PyUnicode_IS_COMPACT_ASCII(key) != 0 {
            let length = unsafe swiftbuf_PyUnicode_GET_LENGTH(interned)
            return unsafe swiftbuf_PyUnicode_GET_LENGTH(key) == length
                && memcmp(swiftbuf_PyUnicode_ASCII_DATA(key), swiftbuf_PyUnicode_ASCII_DATA(interned), length) == 0
        }
        let name = unsafe name(i)
        if unsafe swiftbuf_PyUnicode_IS_COMPACT_ASCII(key) != 0 {
            let length = unsafe strlen(name)
            return unsafe swiftbuf_PyUnicode_GET_LENGTH(key) == length && memcmp(swiftbuf_PyUnicode_ASCII_DATA(key), name, length) == 0
        }
        return unsafe PyUnicode_CompareWithASCIIString(key, name) == 0
    }

    /// `_PyArg_UnpackKeywords` past its fast path: its checks, in its order.
    @inline(__always)
    private func unpack(nargs: Int, nkw: Int, _ keywords: ClinicCall, into slots: inout ClinicArguments) throws(PythonError) {
        let maxargs = count, maxpos = maximumPositional, minpos = minimumPositional
        if nargs + nkw > maxargs || nargs > maxpos || nargs < Swift.min(positionalOnly, minpos) {
            throw countError(nargs: nargs, nkw: nkw)
        }
        for i in 0..<nargs { unsafe slots[i] = unsafe keywords.positional(i) }
        var remaining = nkw
        var i = Swift.max(nargs, positionalOnly)
        if i < maxargs && remaining > 0 {
            let interned = unsafe internedNames()
            while i < maxargs {
                let current: PyObjectRef?
                if remaining > 0 {
                    unsafe current = unsafe try keywords.value(i, interned: interned?[i], of: self)
                } else if i >= minpos {
                    break
                } else {
                    unsafe current = nil
                }
                unsafe slots[i] = unsafe current
                if unsafe current != nil {
                    remaining -= 1
                } else if i < minpos {
                    throw missingError(i)
                }
                i += 1
            }
        } else if i < minpos {
            throw missingError(i)
        }
        if remaining > 0 { throw unsafe keywordError(nargs: nargs, keywords) }
    }

    /// `_PyArg_UnpackKeywords`' errors about counts, in its order.
    @inline(never)
    private func countError(nargs: Int, nkw: Int) -> PythonError {
        let maxargs = count, maxpos = maximumPositional, minpos = minimumPositional
        if nargs + nkw > maxargs {
            // "keyword" when nargs == 0 avoids a wrong message in special cases (bpo-31229).
            return .typeError("\(function)() takes at most \(maxargs) \(nargs == 0 ? "keyword " : "")argument\(maxargs == 1 ? "" : "s") (\(nargs + nkw) given)")
        }
        if nargs > maxpos {
            if maxpos == 0 { return .typeError("\(function)() takes no positional arguments") }
            return .typeError("\(function)() takes \(minpos < maxpos ? "at most" : "exactly") \(maxpos) positional argument\(maxpos == 1 ? "" : "s") (\(nargs) given)")
        }
        let minposonly = Swift.min(positionalOnly, minpos)
        return .typeError("\(function)() takes \(minposonly < maxpos ? "at least" : "exactly") \(minposonly) positional argument\(minposonly == 1 ? "" : "s") (\(nargs) given)")
    }

    @inline(never)
    private func missingError(_ i: Int) -> PythonError {
        .typeError("\(function)() missing required argument '\(nameString(i))' (pos \(i + 1))")
    }

    /// `_PyArg_UnpackKeywords`' error for keywords left over: one naming a positional argument,
    /// then one not a string, then one unknown.
    @inline(never)
    private func keywordError(nargs: Int, _ keywords: ClinicCall) -> PythonError {
        do throws(PythonError) {
            let interned = unsafe internedNames()
            for j in positionalOnly..<Swift.max(nargs, positionalOnly) where unsafe try keywords.value(j, interned: interned?[j], of: self) != nil {
                return .typeError("argument for \(function)() given by name ('\(nameString(j))') and position (\(j + 1))")
            }
            unsafe try keywords.forEachName { key throws(PythonError) in
                if unsafe swiftbuf_PyUnicode_Check(key) == 0 { throw .typeError("keywords must be strings") }
                var known = false
                for j in positionalOnly..<count where unsafe matches(key, j, interned: nil) { known = true }
                if !known {
                    throw .typeError(unsafe "'\(String(decoding: try utf8(key), as: UTF8.self))' is an invalid keyword argument for \(function)()")
                }
            }
            return .typeError("invalid keyword argument for \(function)()")
        } catch {
            return error
        }
    }
}

/// `_PyArg_CheckPositional`: the count of a METH_FASTCALL function's positional arguments.
@inline(__always)
func checkPositional(_ name: StaticString, _ nargs: Int, min: Int, max: Int) throws(PythonError) {
    if nargs < min || nargs > max { throw positionalCountError(name, nargs, min: min, max: max) }
}

@inline(never)
private func positionalCountError(_ name: StaticString, _ nargs: Int, min: Int, max: Int) -> PythonError {
    let (bound, limit) = nargs < min ? (min == max ? "" : "at least ", min) : (min == max ? "" : "at most ", max)
    return .typeError("\(name) expected \(bound)\(limit) argument\(limit == 1 ? "" : "s"), got \(nargs)")
}

/// `_PyArg_BadArgument`: "cast() argument 'format' must be str, not int".
func badArgument(_ function: StaticString, _ name: StaticString, expected: String, _ given: PyObjectRef) -> PythonError {
    let type = unsafe given == swiftbuf_Py_None() ? "None" : typeName(given)
    return .typeError("\(function)() argument '\(name)' must be \(expected), not \(type)")
}
