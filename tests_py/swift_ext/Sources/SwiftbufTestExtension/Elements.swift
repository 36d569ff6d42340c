// The Swift element types the tests read buffers as, chosen by a format code from Python.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

protocol TestElement: BufferElement {
    func python() throws(PythonError) -> PythonObject
    static func counting(_ i: Int) -> Self
}

extension TestElement {
    static func exportCounting(_ n: Int, shape: [Int]?, readonly: Bool) throws(PythonError) -> PythonObject {
        let values = (0..<n).map { Self.counting($0) }
        let address = values.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        return try .tuple(try PythonBuffer.export(consume values, shape: shape, readonly: readonly), try PythonObject(address))
    }

    static func element(of object: PyObjectPointer, at indices: [Int]) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object)
        return try view[indices].python()
    }

    static func elements(of object: PyObjectPointer) throws(PythonError) -> PythonObject {
        let view = try PythonBufferView<Self>(unsafeObject: object)
        let values = view.elements()
        guard let list = PyList_New(values.count) else { throw .runtimeError("PyList_New failed") }
        let owned = PythonObject(adopting: list)
        for (i, v) in values.enumerated() { PyList_SetItem(list, i, try v.python().take()) }
        return owned
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
    // Values above Int.max come back as their two's-complement Int: the tests use small ones.
    func python() throws(PythonError) -> PythonObject { try PythonObject(Int(truncatingIfNeeded: self)) }
    static func counting(_ i: Int) -> Self { Self(truncatingIfNeeded: i) }
}
extension Float: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Double(self)) }; static func counting(_ i: Int) -> Self { Self(i) } }
extension Double: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(self) }; static func counting(_ i: Int) -> Self { Self(i) } }
extension Bool: TestElement { func python() throws(PythonError) -> PythonObject { PythonObject(self) }; static func counting(_ i: Int) -> Self { i % 2 == 1 } }
extension Float16: TestElement { func python() throws(PythonError) -> PythonObject { try PythonObject(Double(self)) }; static func counting(_ i: Int) -> Self { Self(i) } }

/// The Swift type of a struct code, by its size and kind: `q`/`Q` are the 64-bit integers,
/// `l`/`L` Int/UInt (which are 64-bit here too).
func withElementType(_ code: String, _ body: (any TestElement.Type) throws(PythonError) -> PythonObject) throws(PythonError) -> PythonObject {
    let types: [String: any TestElement.Type] = [
        "b": Int8.self, "B": UInt8.self, "h": Int16.self, "H": UInt16.self, "i": Int32.self, "I": UInt32.self,
        "q": Int64.self, "Q": UInt64.self, "f": Float.self, "d": Double.self, "?": Bool.self, "e": Float16.self,
    ]
    guard let type = types[code] else { throw .valueError("no Swift element type for code \(code)") }
    return try body(type)
}
