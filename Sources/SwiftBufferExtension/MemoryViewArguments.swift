// Argument parsing for swiftbuf.MemoryView, word for word what argument clinic generates for
// memoryview in CPython 3.11 (`_PyArg_UnpackKeywords`, `_PyArg_BadArgument`,
// `_PyArg_CheckPositional`), so every misuse raises the builtin's message. Unlike the general
// `Parameters` helper it allocates nothing: memoryview's methods take at most two parameters,
// and `cast`, `tobytes` and `hex` are on benchmarked paths.
import SwiftBuffer
import SwiftBufferPython

/// A clinic signature of one or two parameters that may be given by position or keyword.
struct ClinicSignature {
    let function: StaticString
    let first: StaticString
    let second: StaticString?
    let minimumPositional: Int

    var count: Int { second == nil ? 1 : 2 }

    /// The arguments of a METH_FASTCALL | METH_KEYWORDS call (borrowed; nil when not given).
    @inline(__always)
    func unpack(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        let nkw = kwnames.map { swiftbuf_PyTuple_GET_SIZE($0) } ?? 0
        if nkw == 0 && nargs >= minimumPositional && nargs <= count {
            // The fast path of _PyArg_UnpackKeywords.
            return (nargs > 0 ? args![0] : nil, nargs > 1 ? args![1] : nil)
        }
        return try unpackSlow(args, nargs, kwnames)
    }

    /// Everything but the fast path, out of line so the fast path stays small.
    @inline(never)
    private func unpackSlow(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        let nkw = kwnames.map { swiftbuf_PyTuple_GET_SIZE($0) } ?? 0
        return try unpackSlow(nargs: nargs, nkw: nkw, positional: { args![$0] }) { name in
            for k in 0..<nkw where matches(swiftbuf_PyTuple_GET_ITEM(kwnames!, k), name) { return args![nargs + k] }
            return nil
        } keywords: { body throws(PythonError) in
            for k in 0..<nkw { try body(swiftbuf_PyTuple_GET_ITEM(kwnames!, k)) }
        }
    }

    /// The arguments of a tp_new call (`args` tuple, `kwargs` dict).
    func unpack(tuple: PyObjectRef, dict: PyObjectRef?) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        let nargs = swiftbuf_PyTuple_GET_SIZE(tuple)
        let nkw = dict.map { PyDict_Size($0) } ?? 0
        if nkw == 0 && nargs >= minimumPositional && nargs <= count {
            return (nargs > 0 ? swiftbuf_PyTuple_GET_ITEM(tuple, 0) : nil, nargs > 1 ? swiftbuf_PyTuple_GET_ITEM(tuple, 1) : nil)
        }
        return try unpackSlow(nargs: nargs, nkw: nkw, positional: { swiftbuf_PyTuple_GET_ITEM(tuple, $0) }) { name in
            name.withUTF8Buffer { b in
                b.withMemoryRebound(to: CChar.self) { PyDict_GetItemString(dict!, $0.baseAddress!) }
            }
        } keywords: { body throws(PythonError) in
            var position = 0
            var key: PyObjectRef? = nil
            var value: PyObjectRef? = nil
            while PyDict_Next(dict!, &position, &key, &value) != 0 { try body(key!) }
        }
    }

    private func name(_ i: Int) -> StaticString { i == 0 ? first : second! }

    private func matches(_ key: PyObjectRef, _ name: StaticString) -> Bool {
        swiftbuf_PyUnicode_Check(key) != 0 && name.withUTF8Buffer { b in
            b.withMemoryRebound(to: CChar.self) { PyUnicode_CompareWithASCIIString(key, $0.baseAddress!) == 0 }
        }
    }

    private func unpackSlow(nargs: Int, nkw: Int, positional: (Int) -> PyObjectRef?,
                            find: (StaticString) -> PyObjectRef?,
                            keywords: ((PyObjectRef) throws(PythonError) -> Void) throws(PythonError) -> Void) throws(PythonError) -> (PyObjectRef?, PyObjectRef?) {
        let maxargs = count
        if nargs + nkw > maxargs {
            throw .typeError("\(function)() takes at most \(maxargs) \(nargs == 0 ? "keyword " : "")argument\(maxargs == 1 ? "" : "s") (\(nargs + nkw) given)")
        }
        var slots: (PyObjectRef?, PyObjectRef?) = (nargs > 0 ? positional(0) : nil, nargs > 1 ? positional(1) : nil)
        var remaining = nkw
        var i = nargs
        while i < maxargs {
            let current: PyObjectRef?
            if remaining > 0 {
                current = find(name(i))
            } else if i >= minimumPositional {
                break
            } else {
                current = nil
            }
            if let current = current {
                if i == 0 { slots.0 = current } else { slots.1 = current }
                remaining -= 1
            } else if i < minimumPositional {
                throw .typeError("\(function)() missing required argument '\(name(i))' (pos \(i + 1))")
            }
            i += 1
        }
        if remaining > 0 {
            for j in 0..<nargs where find(name(j)) != nil {
                throw .typeError("argument for \(function)() given by name ('\(name(j))') and position (\(j + 1))")
            }
            try keywords { key throws(PythonError) in
                if swiftbuf_PyUnicode_Check(key) == 0 { throw .typeError("keywords must be strings") }
                if !matches(key, first) && !(second.map { matches(key, $0) } ?? false) {
                    throw .typeError("'\(String(decoding: try utf8(key), as: UTF8.self))' is an invalid keyword argument for \(function)()")
                }
            }
            throw .typeError("invalid keyword argument for \(function)()")
        }
        return slots
    }
}

/// `_PyArg_BadArgument`: "cast() argument 'format' must be str, not int".
func badArgument(_ function: StaticString, _ name: StaticString, expected: String, _ given: PyObjectRef) -> PythonError {
    let type = given == swiftbuf_Py_None() ? "None" : typeName(given)
    return .typeError("\(function)() argument '\(name)' must be \(expected), not \(type)")
}
