// MARK: - Extension modules written in Swift
import CPythonShim

/// The arguments of one call of a `PythonFunction`: borrowed objects, valid during the call
/// only (do not keep the value or its pointers past it).
@safe public struct PythonArguments {
    private let base: UnsafePointer<PyObjectPointer?>?
    /// How many positional arguments the caller passed.
    public let count: Int
    private let function: String

    init(_ base: UnsafePointer<PyObjectPointer?>?, count: Int, function: String) {
        unsafe self.base = base
        self.count = count
        self.function = function
    }

    /// Throws the TypeError Python raises for a wrong number of arguments.
    public func expect(_ counts: ClosedRange<Int>) throws(PythonError) {
        guard counts.contains(count) else {
            let wanted = counts.lowerBound == counts.upperBound ? "exactly \(counts.lowerBound)" :
                counts.upperBound == Int.max ? "at least \(counts.lowerBound)" : "from \(counts.lowerBound) to \(counts.upperBound)"
            let noun = counts.upperBound == 1 ? "argument" : "arguments"
            throw .typeError("\(function)() takes \(wanted) \(noun) (\(count) given)")
        }
    }

    public func expect(_ count: Int) throws(PythonError) { try expect(count...count) }

    /// Argument `i`, borrowed for the call. TypeError when the caller passed fewer.
    public func object(_ i: Int) throws(PythonError) -> PyObjectPointer {
        guard i >= 0, i < count, let o = unsafe base?[i] else {
            throw .typeError("\(function)() missing required argument \(i + 1) (\(count) given)")
        }
        return unsafe o
    }

    /// Argument `i`, or nil when the caller passed fewer or passed None.
    public func optionalObject(_ i: Int) -> PyObjectPointer? {
        guard i >= 0, i < count, let o = unsafe base?[i], unsafe o != swiftbuf_Py_None() else { return nil }
        return unsafe o
    }

    /// Argument `i` as an `Int`, through `__index__` (TypeError for a float, OverflowError
    /// beyond Int's range, as `operator.index` and `Py_ssize_t` parameters do).
    public func int(_ i: Int) throws(PythonError) -> Int {
        let v = unsafe PyNumber_AsSsize_t(try object(i), swiftbuf_PyExc_OverflowError())
        if v == -1, unsafe PyErr_Occurred() != nil { throw PythonError.fetch() }
        return v
    }

    /// Argument `i` as a `Double`, through `__float__` or `__index__`.
    public func double(_ i: Int) throws(PythonError) -> Double {
        let v = unsafe PyFloat_AsDouble(try object(i))
        if v == -1, unsafe PyErr_Occurred() != nil { throw PythonError.fetch() }
        return v
    }

    /// Argument `i`'s truth value.
    public func bool(_ i: Int) throws(PythonError) -> Bool {
        let v = unsafe PyObject_IsTrue(try object(i))
        if v < 0 { throw PythonError.fetch() }
        return v == 1
    }

    /// Argument `i`, which must be a str.
    public func string(_ i: Int) throws(PythonError) -> String {
        let o = unsafe try object(i)
        guard unsafe swiftbuf_PyUnicode_Check(o) != 0 else {
            throw .typeError("\(function)() argument \(i + 1) must be str, not \(unsafe pythonTypeName(of: swiftbuf_Py_TYPE(o)))")
        }
        guard let utf8 = unsafe PyUnicode_AsUTF8(o) else { throw PythonError.fetch() }
        return unsafe String(cString: utf8)
    }
}

/// One function of a Swift extension module: a name, a docstring and a Swift closure that
/// returns an owned object or throws a `PythonError` (raised in the caller as that exception).
public struct PythonFunction {
    public let name: String
    public let doc: String?
    let body: (PythonArguments) throws(PythonError) -> PythonObject

    public init(_ name: String, doc: String? = nil,
                _ body: @escaping (PythonArguments) throws(PythonError) -> PythonObject) {
        self.name = name
        self.doc = doc
        self.body = body
    }
}

extension PythonObject {
    /// Runs `body` and answers in the C API's convention: a new reference, or NULL with the
    /// thrown exception set. The one boundary an `@_cdecl` entry point needs.
    public static func cResult(_ body: () throws(PythonError) -> PythonObject) -> PyObjectPointer? {
        do throws(PythonError) { return unsafe try body().take() } catch {
            error.raise()
            return nil
        }
    }
}

/// Creates an extension module whose functions are Swift closures.
///
/// ```swift
/// @_cdecl("PyInit_matrices")
/// public func PyInit_matrices() -> PyObjectPointer? {
///     PythonModule.initialize(name: "matrices", functions: [
///         PythonFunction("identity", doc: "identity(n): an n x n identity matrix") { args throws(PythonError) in
///             try args.expect(1)
///             let n = try args.int(0)
///             var m = [Double](repeating: 0, count: n * n)
///             for i in 0..<n { m[i * n + i] = 1 }
///             return try PythonBuffer.export(consume m, shape: [n, n])
///         },
///     ])
/// }
/// ```
/// The module imports swiftbuf when it is imported (so a missing swiftbuf is an ImportError
/// at `import`, not at the first call), unless `importsSwiftbuf` is false.
public enum PythonModule {
    /// For `PyInit_<name>` only: returns the new module, or NULL with the exception set,
    /// which is what the function must return as it is.
    public static func initialize(name: String, doc: String? = nil, functions: [PythonFunction],
                                  importsSwiftbuf: Bool = true) -> PyObjectPointer? {
        unsafe PythonObject.cResult { () throws(PythonError) in
            try make(name: name, doc: doc, functions: functions, importsSwiftbuf: importsSwiftbuf)
        }
    }

    /// The module as an owned object (for an embedding app's `PyImport_AppendInittab`, or to
    /// add more attributes before returning it from `PyInit_<name>`).
    public static func make(name: String, doc: String? = nil, functions: [PythonFunction],
                            importsSwiftbuf: Bool = true) throws(PythonError) -> PythonObject {
        try PythonInterpreter.checkInitialized("PythonModule")
        if importsSwiftbuf { try PythonInterpreter.importSwiftbuf() }
        // A module definition lives as long as the process, as a C extension's static one does.
        let def = UnsafeMutablePointer<PyModuleDef>.allocate(capacity: 1)
        unsafe swiftbuf_PyModuleDef_Init(def, permanentCString(name), doc.map { unsafe permanentCString($0) })
        guard let module = unsafe swiftbuf_PyModule_Create(def) else { throw PythonError.fetch() }
        let owned = unsafe PythonObject(adopting: module)
        let moduleName = unsafe PyUnicode_FromString(permanentCString(name))
        defer { unsafe xdecref(moduleName) }
        for function in functions {
            let object = try unsafe makeFunction(function, module: moduleName)
            if unsafe PyModule_AddObject(owned.pointer, permanentCString(function.name), object.pointer) < 0 {
                throw PythonError.fetch()
            }
            _ = unsafe object.take()   // PyModule_AddObject stole the reference
        }
        return owned
    }

    private static func makeFunction(_ function: PythonFunction, module: PyObjectPointer?) throws(PythonError) -> PythonObject {
        let def = UnsafeMutablePointer<PyMethodDef>.allocate(capacity: 1)
        unsafe def.initialize(to: PyMethodDef(
            ml_name: permanentCString(function.name),
            ml_meth: unsafe unsafeBitCast(trampoline, to: PyCFunction.self),
            ml_flags: METH_FASTCALL,
            ml_doc: function.doc.map { unsafe permanentCString($0) }))
        let box = FunctionBox(function)
        guard let capsule = unsafe PyCapsule_New(Unmanaged.passRetained(box).toOpaque(), functionCapsuleName, releaseBox) else {
            throw PythonError.fetch()
        }
        defer { unsafe decref(capsule) }
        guard let object = unsafe PyCFunction_NewEx(def, capsule, module) else { throw PythonError.fetch() }
        return unsafe PythonObject(adopting: object)
    }
}

private final class FunctionBox {
    let function: PythonFunction
    init(_ function: PythonFunction) { self.function = function }
}

nonisolated(unsafe) private let functionCapsuleName: UnsafePointer<CChar> = unsafe permanentCString("swiftbuf.PythonFunction")

/// The one C entry point of every Swift function (METH_FASTCALL): `self` is the capsule of its box.
private let trampoline: @convention(c) (PyObjectPointer?, UnsafePointer<PyObjectPointer?>?, Int) -> PyObjectPointer? = {
    capsule, args, nargs in
    let raw = unsafe PyCapsule_GetPointer(capsule, functionCapsuleName)!
    let function = unsafe Unmanaged<FunctionBox>.fromOpaque(raw).takeUnretainedValue().function
    return unsafe PythonObject.cResult { () throws(PythonError) in
        try function.body(unsafe PythonArguments(args, count: nargs, function: function.name))
    }
}

private let releaseBox: PyCapsule_Destructor = { capsule in
    guard let raw = unsafe PyCapsule_GetPointer(capsule, functionCapsuleName) else { PyErr_Clear(); return }
    unsafe Unmanaged<FunctionBox>.fromOpaque(raw).release()
}

/// A NUL-terminated copy of `s` that is never freed: names and docstrings CPython keeps
/// pointers to for the life of the process.
private func permanentCString(_ s: String) -> UnsafePointer<CChar> {
    let utf8 = Array(s.utf8)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
    for (i, b) in utf8.enumerated() { unsafe p[i] = CChar(bitPattern: b) }
    unsafe p[utf8.count] = 0
    return unsafe UnsafePointer(p)
}
