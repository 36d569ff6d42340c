// Private module functions that drive `PythonMemoryView` from Python, so the Swift consumer
// API is tested against the builtin memoryview and NumPy by pytest
// (tests_py/test_memoryview_swift_api.py). Registered by memoryview_type.c.
import SwiftBuffer

/// A Swift element type and its conversions to and from Python objects.
private protocol HookElement: BufferElement {
    static func python(_ value: Self) -> PyObjectRef?
    static func swift(_ object: PyObjectRef) throws(BridgeError) -> Self
}

extension FixedWidthInteger where Self: BufferElement {
    fileprivate static func pythonInteger(_ value: Self) -> PyObjectRef? {
        Self.isSigned ? PyLong_FromLongLong(Int64(value)) : PyLong_FromUnsignedLongLong(UInt64(value))
    }
    fileprivate static func swiftInteger(_ object: PyObjectRef) throws(BridgeError) -> Self {
        if Self.isSigned {
            let v = PyLong_AsLongLong(object)
            if v == -1 && PyErr_Occurred() != nil { throw .alreadySet }
            guard let r = Self(exactly: v) else { throw .overflowError("value out of range for \(Self.self)") }
            return r
        }
        let v = PyLong_AsUnsignedLongLong(object)
        if v == UInt64.max && PyErr_Occurred() != nil { throw .alreadySet }
        guard let r = Self(exactly: v) else { throw .overflowError("value out of range for \(Self.self)") }
        return r
    }
}

extension Int8: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension UInt8: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension Int16: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension UInt16: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension Int32: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension UInt32: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension Int64: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension UInt64: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension Int: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension UInt: HookElement { static func python(_ v: Self) -> PyObjectRef? { pythonInteger(v) }; static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try swiftInteger(o) } }
extension Float: HookElement {
    static func python(_ v: Self) -> PyObjectRef? { PyFloat_FromDouble(Double(v)) }
    static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { Float(try Double.swift(o)) }
}
extension Double: HookElement {
    static func python(_ v: Self) -> PyObjectRef? { PyFloat_FromDouble(v) }
    static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self {
        let v = PyFloat_AsDouble(o)
        if v == -1 && PyErr_Occurred() != nil { throw .alreadySet }
        return v
    }
}
extension Bool: HookElement {
    static func python(_ v: Self) -> PyObjectRef? { pyBool(v) }
    static func swift(_ o: PyObjectRef) throws(BridgeError) -> Self { try isTrue(o) }
}

/// The Swift type a hook reads for a format code: the one whose `formatCode` it is.
private protocol ElementVisitor {
    func visit<T: HookElement>(_ type: T.Type) throws(BridgeError) -> PyObjectRef
}

private func dispatch(_ code: PyObjectRef, _ visitor: some ElementVisitor) throws(BridgeError) -> PyObjectRef {
    let s = try strArgument(code, name: "code")
    guard s.count == 1 else { throw .valueError("one format character expected") }
    switch s[0] {
    case UInt8(ascii: "b"): return try visitor.visit(Int8.self)
    case UInt8(ascii: "B"): return try visitor.visit(UInt8.self)
    case UInt8(ascii: "h"): return try visitor.visit(Int16.self)
    case UInt8(ascii: "H"): return try visitor.visit(UInt16.self)
    case UInt8(ascii: "i"): return try visitor.visit(Int32.self)
    case UInt8(ascii: "I"): return try visitor.visit(UInt32.self)
    case UInt8(ascii: "q"): return try visitor.visit(Int64.self)
    case UInt8(ascii: "Q"): return try visitor.visit(UInt64.self)
    case UInt8(ascii: "l"): return try visitor.visit(Int.self)
    case UInt8(ascii: "L"): return try visitor.visit(UInt.self)
    case UInt8(ascii: "f"): return try visitor.visit(Float.self)
    case UInt8(ascii: "d"): return try visitor.visit(Double.self)
    case UInt8(ascii: "?"): return try visitor.visit(Bool.self)
    default: throw .valueError("no Swift element type for this code")
    }
}

private func list<T: HookElement>(_ values: [T]) throws(BridgeError) -> PyObjectRef {
    let list = try checked(PyList_New(values.count))
    for (i, v) in values.enumerated() {
        guard let item = T.python(v) else { decref(list); throw .alreadySet }
        swiftbuf_PyList_SET_ITEM(list, i, item)
    }
    return list
}

private func indices(_ tuple: PyObjectRef) throws(BridgeError) -> [Int] {
    guard swiftbuf_PyTuple_Check(tuple) != 0 else { throw .typeError("indices must be a tuple, not \(typeName(tuple))") }
    // `element(as:at:)` is variadic: the hook spells out at most three indices.
    if swiftbuf_PyTuple_GET_SIZE(tuple) > 3 { throw .valueError("at most 3 indices") }
    var result: [Int] = []
    for i in 0..<swiftbuf_PyTuple_GET_SIZE(tuple) { result.append(try ssize(swiftbuf_PyTuple_GET_ITEM(tuple, i))) }
    return result
}

/// `_swift_memoryview_read(obj, code)`: (elements in C order via `forEach`, the same via
/// `elements`, the contiguous buffer via `withUnsafeBufferPointer` or the error it raised).
@_cdecl("swiftbuf_module_swift_memoryview_read")
func swiftMemoryviewRead(_ module: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    struct Read: ElementVisitor {
        let exporter: PyObjectRef
        func visit<T: HookElement>(_ type: T.Type) throws(BridgeError) -> PyObjectRef {
            let view = try PythonMemoryView(exporter)
            var visited: [T] = []
            do throws(BufferAccessError<Never>) { try view.forEach(as: T.self) { visited.append($0) } } catch {
                if case .buffer(let e) = error { throw .core(e) }
            }
            let gathered = try core { () throws(SwiftBufferError) in try view.elements(as: T.self) }
            var copy: [T]? = nil
            var refusal = ""
            do throws(BufferAccessError<Never>) {
                copy = try view.withUnsafeBufferPointer(as: T.self) { Array($0) }
            } catch {
                if case .buffer(let e) = error { refusal = e.message }
            }
            let contiguous: PyObjectRef
            if let copy = copy { contiguous = try list(copy) } else { contiguous = try checked(pyString(refusal)) }
            let result = try checked(PyTuple_New(3))
            swiftbuf_PyTuple_SET_ITEM(result, 0, try list(visited))
            swiftbuf_PyTuple_SET_ITEM(result, 1, try list(gathered))
            swiftbuf_PyTuple_SET_ITEM(result, 2, contiguous)
            return result
        }
    }
    return pythonCall { () throws(BridgeError) in
        guard nargs == 2 else { throw .typeError("_swift_memoryview_read(obj, code)") }
        return try dispatch(args![1]!, Read(exporter: args![0]!))
    }
}

/// `_swift_memoryview_element(obj, code, indices, value=None)`: the element at `indices`
/// before the write (and after it, when a value is given).
@_cdecl("swiftbuf_module_swift_memoryview_element")
func swiftMemoryviewElement(_ module: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    struct Element: ElementVisitor {
        let exporter: PyObjectRef, indices: [Int], value: PyObjectRef?
        func visit<T: HookElement>(_ type: T.Type) throws(BridgeError) -> PyObjectRef {
            let view = try PythonMemoryView(exporter)
            func read() throws(BridgeError) -> T {
                switch indices.count {
                case 0: return try core { () throws(SwiftBufferError) in try view.element(as: T.self) }
                case 1: return try core { () throws(SwiftBufferError) in try view.element(as: T.self, at: indices[0]) }
                case 2: return try core { () throws(SwiftBufferError) in try view.element(as: T.self, at: indices[0], indices[1]) }
                default: return try core { () throws(SwiftBufferError) in try view.element(as: T.self, at: indices[0], indices[1], indices[2]) }
                }
            }
            if let value = value {
                let v = try T.swift(value)
                switch indices.count {
                case 0: try core { () throws(SwiftBufferError) in try view.setElement(v) }
                case 1: try core { () throws(SwiftBufferError) in try view.setElement(v, at: indices[0]) }
                case 2: try core { () throws(SwiftBufferError) in try view.setElement(v, at: indices[0], indices[1]) }
                default: try core { () throws(SwiftBufferError) in try view.setElement(v, at: indices[0], indices[1], indices[2]) }
                }
            }
            return try checked(T.python(try read()))
        }
    }
    return pythonCall { () throws(BridgeError) in
        guard nargs == 3 || nargs == 4 else { throw .typeError("_swift_memoryview_element(obj, code, indices, value=None)") }
        let value = nargs == 4 && args![3]! != swiftbuf_Py_None() ? args![3]! : nil
        return try dispatch(args![1]!, Element(exporter: args![0]!, indices: try indices(args![2]!), value: value))
    }
}

/// `_swift_memoryview_view(obj, start, stop, step, format, shape)`: the swiftbuf.MemoryView
/// Swift makes with `sliced` (when start/stop/step are not all None) then `cast` (when a
/// format is given), handed to Python.
@_cdecl("swiftbuf_module_swift_memoryview_view")
func swiftMemoryviewView(_ module: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        guard nargs == 6 else { throw .typeError("_swift_memoryview_view(obj, start, stop, step, format, shape)") }
        func optionalInt(_ o: PyObjectRef) throws(BridgeError) -> Int? { o == swiftbuf_Py_None() ? nil : try ssize(o) }
        var view = try PythonMemoryView(args![0]!)
        let start = try optionalInt(args![1]!), stop = try optionalInt(args![2]!), step = try optionalInt(args![3]!)
        if start != nil || stop != nil || step != nil {
            if step == 0 { throw .valueError("slice step cannot be zero") }
            view = try view.sliced(from: start, to: stop, by: step ?? 1)
        }
        if args![4]! != swiftbuf_Py_None() {
            let format = String(decoding: try strArgument(args![4]!, name: "format"), as: UTF8.self)
            let shape = args![5]! == swiftbuf_Py_None() ? nil : try shapeArgument(args![5]!, name: "shape")
            view = try view.cast(to: format, shape: shape)
        }
        return view.takeObject()
    }
}

/// `_swift_memoryview_release(obj, export=False)`: makes a view in Swift and releases it
/// explicitly (with `export`, while a buffer exported from it is alive: BufferError).
@_cdecl("swiftbuf_module_swift_memoryview_release")
func swiftMemoryviewRelease(_ module: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    pythonCall { () throws(BridgeError) in
        guard nargs == 1 || nargs == 2 else { throw .typeError("_swift_memoryview_release(obj, export=False)") }
        let view = try PythonMemoryView(args![0]!)
        if nargs == 2, try isTrue(args![1]!) {
            var exported = try HeldBuffer(from: view.object, request: .fullRO)
            defer { exported.release() }
            try view.release()
        } else {
            try view.release()
        }
        return pyNone
    }
}
