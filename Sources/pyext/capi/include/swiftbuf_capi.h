// The C API swiftbuf._swiftbuf publishes for other extension modules and embedding apps, as
// the capsule `swiftbuf._swiftbuf._C_API` (NumPy's `_ARRAY_API` mechanism). Through it, memory
// exported by any module becomes an instance of the one swiftbuf.Buffer type of the process.
//
// Compatibility: fields are only ever appended, and SWIFTBUF_CAPI_VERSION grows with each
// addition. A client built for version N accepts a table whose `version` is N or more and
// refuses an older one (it would read past the end). The Swift library SwiftBufferPython is
// the client; C code can use the same table.
#ifndef SWIFTBUF_CAPI_H
#define SWIFTBUF_CAPI_H

#include "../../../CPythonShim/shim.h"

#define SWIFTBUF_CAPI_CAPSULE "swiftbuf._swiftbuf._C_API"
#define SWIFTBUF_CAPI_VERSION 1u

// Gives exported memory back to its owner. Called exactly once, with the GIL held: when the
// Buffer and every view of it are gone, or before `export_memory` returns NULL.
typedef void (*swiftbuf_release_function)(void *context);

typedef struct swiftbuf_CAPI {
    unsigned int version;      // SWIFTBUF_CAPI_VERSION of the swiftbuf that filled the table
    unsigned int size;         // sizeof(swiftbuf_CAPI) there
    PyTypeObject *buffer_type; // swiftbuf.Buffer

    // A new swiftbuf.Buffer over `byte_count` bytes at `buf`, seen as `ndim` dimensions of
    // `shape` items of the struct `format` (NUL-terminated; copied), with byte `strides`
    // (NULL: C order; non-negative, every item inside the bytes). Returns a new reference, or
    // NULL with an exception set (ValueError for a bad format or layout). Ownership of the
    // memory passes to the Buffer in every case: `release(context)` runs exactly once.
    PyObject *(*export_memory)(void *buf, Py_ssize_t byte_count, const char *format, int ndim,
                               const Py_ssize_t *shape, const Py_ssize_t *strides, int readonly,
                               swiftbuf_release_function release, void *context);
} swiftbuf_CAPI;

#endif
