// The capsule swiftbuf._swiftbuf._C_API (Sources/pyext/capi/include/swiftbuf_capi.h), imported
// on first use, as NumPy's import_array() imports _ARRAY_API: through it, every module that
// links this library creates instances of the one swiftbuf.Buffer type of the process.
import CPythonShim
import pyextCAPI

enum SwiftbufCAPI {
    // Written once under the GIL, then only read (under the GIL); a table never moves.
    @exclusivity(unchecked) nonisolated(unsafe) private static var bound: UnsafePointer<swiftbuf_CAPI>? = nil

    /// The table, importing `swiftbuf` first if nobody has yet.
    @inline(__always)
    static func table() throws(PythonError) -> UnsafePointer<swiftbuf_CAPI> {
        if let t = unsafe bound { return unsafe t }
        return try unsafe bind()
    }

    @inline(never)
    private static func bind() throws(PythonError) -> UnsafePointer<swiftbuf_CAPI> {
        try PythonInterpreter.checkInitialized("swiftbuf")
        guard let capsule = unsafe PyCapsule_Import(SWIFTBUF_CAPI_CAPSULE, 0) else {
            let cause = PythonError.fetch()
            if cause.matches(.importError) {
                throw .importError("swiftbuf is not installed for this interpreter (\(cause.message)): "
                                   + "swiftbuf.Buffer objects need the swiftbuf package (pip install swiftbuf)")
            }
            if cause.matches(.typeError) || cause.typeName == "AttributeError" {
                throw .importError("the installed swiftbuf has no C API (\(cause.message)): this module needs swiftbuf "
                                   + "with C API version \(SWIFTBUF_CAPI_VERSION) or later")
            }
            throw cause
        }
        let table = unsafe capsule.assumingMemoryBound(to: swiftbuf_CAPI.self)
        let version = unsafe table.pointee.version
        if version < SWIFTBUF_CAPI_VERSION {
            throw .importError("the installed swiftbuf's C API is version \(version), older than version "
                               + "\(SWIFTBUF_CAPI_VERSION) that this module was built against: upgrade swiftbuf")
        }
        unsafe bound = UnsafePointer(table)
        return unsafe UnsafePointer(table)
    }
}
