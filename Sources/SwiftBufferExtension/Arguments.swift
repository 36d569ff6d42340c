import SwiftBuffer
import SwiftBufferPython

// Only SwiftExportFunctions.swift uses `Parameters` now (every other keyword-taking function
// parses with `ClinicSignature`); that file is being deleted on another branch, and this one
// goes with it.

/// A function's parameters, for parsing vectorcall/tuple arguments with argument clinic's
/// messages. `positional` of them may be passed by position, the rest by keyword only;
/// `positionalOnly` of them may not be passed by keyword.
public struct Parameters: Sendable {
    public let function: String
    public let names: [String]
    public let required: Int
    public let positional: Int
    public let positionalOnly: Int

    public init(_ function: String, _ names: [String], required: Int = 0, positional: Int? = nil, positionalOnly: Int = 0) {
        self.function = function
        self.names = names
        self.required = required
        self.positional = positional ?? names.count
        self.positionalOnly = positionalOnly
    }

    /// Fills `slots` (borrowed references, nil when not given) from FASTCALL arguments.
    public func parse(_ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?,
                      into slots: inout [PyObjectRef?]) throws(PythonError) {
        slots = [PyObjectRef?](repeating: nil, count: names.count)
        let kwcount = kwnames.map { swiftbuf_PyTuple_GET_SIZE($0) } ?? 0
        try check(nargs: nargs, given: nargs + kwcount)
        for i in 0..<nargs { slots[i] = args![i] }
        if let kwnames = kwnames {
            for k in 0..<kwcount {
                try place(swiftbuf_PyTuple_GET_ITEM(kwnames, k), value: args![nargs + k]!, nargs: nargs, into: &slots)
            }
        }
        try checkRequired(slots)
    }

    /// Fills `slots` from a tp_new/tp_init style (tuple, dict) call.
    public func parse(tuple: PyObjectRef, dict: PyObjectRef?, into slots: inout [PyObjectRef?]) throws(PythonError) {
        slots = [PyObjectRef?](repeating: nil, count: names.count)
        let nargs = swiftbuf_PyTuple_GET_SIZE(tuple)
        let kwcount = dict.map { PyDict_Size($0) } ?? 0
        try check(nargs: nargs, given: nargs + kwcount)
        for i in 0..<nargs { slots[i] = swiftbuf_PyTuple_GET_ITEM(tuple, i) }
        if let dict = dict {
            var pos = 0
            var key: PyObjectRef? = nil
            var value: PyObjectRef? = nil
            while PyDict_Next(dict, &pos, &key, &value) != 0 {
                try place(key!, value: value!, nargs: nargs, into: &slots)
            }
        }
        try checkRequired(slots)
    }

    private func check(nargs: Int, given: Int) throws(PythonError) {
        if nargs > positional {
            let bound = required == positional ? "exactly" : "at most"
            throw .typeError("\(function)() takes \(bound) \(positional) positional argument\(positional == 1 ? "" : "s") (\(nargs) given)")
        }
    }

    private func place(_ key: PyObjectRef, value: PyObjectRef, nargs: Int, into slots: inout [PyObjectRef?]) throws(PythonError) {
        let name = String(decoding: try utf8(key), as: UTF8.self)
        guard let index = names.firstIndex(of: name), index >= positionalOnly else {
            throw .typeError("'\(name)' is an invalid keyword argument for \(function)()")
        }
        if index < nargs {
            throw .typeError("argument for \(function)() given by name ('\(name)') and position (\(index + 1))")
        }
        slots[index] = value
    }

    private func checkRequired(_ slots: [PyObjectRef?]) throws(PythonError) {
        for i in 0..<required where slots[i] == nil {
            throw .typeError("\(function)() missing required argument '\(names[i])' (pos \(i + 1))")
        }
    }
}
