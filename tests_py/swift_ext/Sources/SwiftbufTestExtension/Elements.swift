// The Swift element types the tests read buffers as, chosen by a format code from Python.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

protocol TestElement: BufferElement {
    func python() throws(PythonError) -> PythonObject
    static func counting(_ i: Int) -> Self
    /// The Python object as this type (OverflowError when it does not fit).
    static func swift(_ object: PyObjectPointer) throws(PythonError) -> Self
}

extension FixedWidthInteger where Self: TestElement {
    static func swift(_ object: PyObjectPointer) throws(PythonError) -> Self {
        if Self.isSigned {
            let v = PyLong_AsLongLong(object)
            if v == -1, PyErr_Occurred() != nil { throw PythonError.fetch() }
            guard let r = Self(exactly: v) else { throw PythonError(.overflowError, "value out of range for \(Self.self)") }
            return r
        }
        let v = PyLong_AsUnsignedLongLong(object)
        if v == UInt64.max, PyErr_Occurred() != nil { throw PythonError.fetch() }
        guard let r = Self(exactly: v) else { throw PythonError(.overflowError, "value out of range for \(Self.self)") }
        return r
    }
}

extension BinaryFloatingPoint where Self: TestElement {
    static func swift(_ object: PyObjectPointer) throws(PythonError) -> Self {
        let v = PyFloat_AsDouble(object)
        if v == -1, PyErr_Occurred() != nil { throw PythonError.fetch() }
        return Self(v)
    }
}

extension TestElement {
    static func exportCounting(_ n: Int, shape: [Int]?, strides: [Int]? = nil, readonly: Bool) throws(PythonError) -> PythonObject {
        let values = (0..<n).map { Self.counting($0) }
        let address = values.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        return try .tuple(try PythonBuffer.export(consume values, shape: shape, strides: strides, readonly: readonly),
                          try PythonObject(address))
    }

    /// Stores `value` at `indices` through a writable view, then reads it back through a new one.
    /// The value converts while the view is held (Python code may run then: the export pins
    /// the memory, tests_py/test_adversarial_reentrancy.py).
    static func store(_ value: PyObjectPointer, in object: PyObjectPointer, at indices: [Int]) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object, writable: true)
        view[indices] = try swift(value)
        view.release()
        return try element(of: object, at: indices)
    }

    /// (elements through forEach, through elements(), through withUnsafeBufferPointer or
    /// (type name, message) of its error).
    static func read(_ object: PyObjectPointer) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object)
        var visited: [Self] = []
        view.forEach { visited.append($0) }
        let gathered = view.elements()
        let contiguous: PythonObject
        do throws(PythonError) {
            contiguous = try list(try view.withUnsafeBufferPointer { Array($0) })
        } catch {
            contiguous = try .tuple(try PythonObject(error.typeName), try PythonObject(error.message))
        }
        guard let tuple = PyTuple_New(3) else { throw PythonError.fetch() }
        let owned = PythonObject(adopting: tuple)
        PyTuple_SetItem(tuple, 0, try list(visited).take())
        PyTuple_SetItem(tuple, 1, try list(gathered).take())
        PyTuple_SetItem(tuple, 2, contiguous.take())
        return owned
    }

    static func list(_ values: [Self]) throws(PythonError) -> PythonObject {
        guard let list = PyList_New(values.count) else { throw PythonError.fetch() }
        let owned = PythonObject(adopting: list)
        for (i, v) in values.enumerated() { PyList_SetItem(list, i, try v.python().take()) }
        return owned
    }

    static func element(of object: PyObjectPointer, at indices: [Int]) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object)
        return try view[indices].python()
    }

    static func elements(of object: PyObjectPointer) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object)
        return try list(view.elements())
    }

    static func info(of object: PyObjectPointer) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object)
        guard let tuple = PyTuple_New(8) else { throw .runtimeError("PyTuple_New failed") }
        let owned = PythonObject(adopting: tuple)
        let items: [PyObjectPointer] = [
            try PythonObject(tupleOf: view.shape).take(), try PythonObject(tupleOf: view.strides).take(),
            try PythonObject(view.format).take(), PythonObject(view.isReadOnly).take(),
            PythonObject(view.isCContiguous).take(), PythonObject(view.isFortranContiguous).take(),
            try PythonObject(view.count).take(), try PythonObject(view.ndim).take(),
        ]
        for (i, item) in items.enumerated() { PyTuple_SetItem(tuple, i, item) }
        return owned
    }

    static func refusal(of object: PyObjectPointer, writable: Bool, access: String) -> PythonError? {
        do throws(PythonError) {
            let view = try PythonBufferView<Self>(unsafeObject: object, writable: writable)
            switch access {
            case "span": _ = try view.withSpan { $0.count }
            case "pointer": _ = try view.withUnsafeBufferPointer { $0.count }
            case "bytes": _ = try view.withBytes { $0.byteCount }
            default: break
            }
            return nil
        } catch {
            return error
        }
    }
}

extension Int8: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension UInt8: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension Int16: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension UInt16: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension Int32: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension UInt32: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension Int64: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Int(self)) }; static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) } }
extension UInt64: TestElement {
    func python() throws(PythonError) -> PythonObject { try unsignedObject(UInt64(self)) }
    static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) }
}
extension Float: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Double(self)) }; static func counting(_ i: Int) -> Self { Self(i) } }
extension Double: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(self) }; static func counting(_ i: Int) -> Self { Self(i) } }
extension Int: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(self) }; static func counting(_ i: Int) -> Self { i } }
extension UInt: TestElement {
    func python() throws(PythonError) -> PythonObject { try unsignedObject(UInt64(self)) }
    static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) }
}

/// An int above Int.max too.
private func unsignedObject(_ value: UInt64) throws(PythonError) -> PythonObject {
    guard let o = PyLong_FromUnsignedLongLong(value) else { throw PythonError.fetch() }
    return PythonObject(adopting: o)
}

extension Bool: TestElement {
    func python() throws(PythonError) -> PythonObject { PythonObject(self) }
    static func counting(_ i: Int) -> Self { i % 2 == 1 }
    static func swift(_ object: PyObjectPointer) throws(PythonError) -> Self {
        let v = PyObject_IsTrue(object)
        if v < 0 { throw PythonError.fetch() }
        return v == 1
    }
}
extension Float16: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Double(self)) }; static func counting(_ i: Int) -> Self { Self(i) } }

/// Every Swift element type the tests use (every BufferElement of the standard library).
nonisolated(unsafe) let elementTypes: [any TestElement.Type] = [
    Int8.self, UInt8.self, Int16.self, UInt16.self, Int32.self, UInt32.self, Int64.self, UInt64.self,
    Int.self, UInt.self, Float.self, Double.self, Bool.self, Float16.self,
]

/// The Swift type whose `formatCode` is `code` (`q`/`Q` the 64-bit integers, `l`/`L`
/// Int/UInt, which are 64-bit here too).
func withElementType(_ code: String, _ body: (any TestElement.Type) throws(PythonError) -> PythonObject) throws(PythonError) -> PythonObject {
    guard code.utf8.count == 1, let type = elementTypes.first(where: { $0.formatCode == code.utf8.first! }) else {
        throw .valueError("no Swift element type for code \(code)")
    }
    return try body(type)
}
