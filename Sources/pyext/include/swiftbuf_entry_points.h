// Prototypes of the Swift entry points (@_cdecl in Sources/SwiftBufferExtension) that the type
// specs point at, plus the per-type registration functions of this shim. Named
// swiftbuf_<type>_<slot> so grep connects both sides.
#ifndef SWIFTBUF_ENTRY_POINTS_H
#define SWIFTBUF_ENTRY_POINTS_H

#include "../objects/include/swiftbuf_objects.h"
#include "../capi/include/swiftbuf_capi.h"

#define SWIFTBUF_FASTCALL_KW(name) \
    PyObject *name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
#define SWIFTBUF_NOARGS(name) PyObject *name(PyObject *self, PyObject *unused)
#define SWIFTBUF_GETTER(name) PyObject *name(PyObject *self, void *closure)

// Makes the heap type from `spec`, stores it in `*slot` and adds it to `module` under its short name.
int swiftbuf_add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot);
// Makes the heap type from `spec`, named `tp_name` in messages, and stores it in `*slot`
// without adding it to the module (the iterator and managed-buffer types).
int swiftbuf_make_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot, const char *tp_name);

// Entry points of the other types, one header each.
#include "swiftbuf_memoryview.h"
#include "swiftbuf_testing.h"

// Registration of each type with the module; each returns 0 or -1 with an exception set.
int swiftbuf_add_buffer_type(PyObject *module);
int swiftbuf_add_memoryview_type(PyObject *module);
int swiftbuf_add_testing(PyObject *module);

// Module-level
int swiftbuf_module_exec(PyObject *module);

// swiftbuf_CAPI.export_memory (CAPI.swift).
PyObject *swiftbuf_capi_export_memory(void *buf, Py_ssize_t byte_count, const char *format, int ndim,
                                      const Py_ssize_t *shape, const Py_ssize_t *strides, int readonly,
                                      swiftbuf_release_function release, void *context);

// _export_release_loop (ExportReleaseLoop.swift).
PyObject *swiftbuf_module_export_release_loop(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

// swiftbuf.Buffer
PyObject *swiftbuf_buffer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs);
PyObject *swiftbuf_buffer_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf, PyObject *kwnames);
void swiftbuf_buffer_dealloc(PyObject *self);
int swiftbuf_buffer_getbuffer(PyObject *self, Py_buffer *view, int flags);
void swiftbuf_buffer_releasebuffer(PyObject *self, Py_buffer *view);
Py_ssize_t swiftbuf_buffer_length(PyObject *self);
PyObject *swiftbuf_buffer_repr(PyObject *self);
SWIFTBUF_FASTCALL_KW(swiftbuf_buffer_frombytes);
SWIFTBUF_FASTCALL_KW(swiftbuf_buffer_tobytes);
SWIFTBUF_NOARGS(swiftbuf_buffer_tolist);
SWIFTBUF_FASTCALL_KW(swiftbuf_buffer_resize);
// Container slots (BufferContainer.swift), pickling and copying (BufferPickle.swift), DLPack (BufferDLPack.swift).
PyObject *swiftbuf_buffer_subscript(PyObject *self, PyObject *key);
int swiftbuf_buffer_ass_subscript(PyObject *self, PyObject *key, PyObject *value);
PyObject *swiftbuf_buffer_iter(PyObject *self);
void swiftbuf_bufferiterator_dealloc(PyObject *self);
PyObject *swiftbuf_bufferiterator_next(PyObject *self);
PyObject *swiftbuf_buffer_richcompare(PyObject *self, PyObject *other, int op);
Py_hash_t swiftbuf_buffer_hash(PyObject *self);
SWIFTBUF_NOARGS(swiftbuf_buffer_sizeof);
PyObject *swiftbuf_buffer_reduce_ex(PyObject *self, PyObject *protocol);
PyObject *swiftbuf_buffer_frompickle(PyObject *type, PyObject *const *args, Py_ssize_t nargs);
SWIFTBUF_NOARGS(swiftbuf_buffer_copy);
PyObject *swiftbuf_buffer_deepcopy(PyObject *self, PyObject *memo);
SWIFTBUF_FASTCALL_KW(swiftbuf_buffer_dlpack);
SWIFTBUF_NOARGS(swiftbuf_buffer_dlpack_device);
PyObject *swiftbuf_buffer_from_dlpack(PyObject *type, PyObject *producer);
SWIFTBUF_GETTER(swiftbuf_buffer_get_shape);
SWIFTBUF_GETTER(swiftbuf_buffer_get_strides);
SWIFTBUF_GETTER(swiftbuf_buffer_get_format);
SWIFTBUF_GETTER(swiftbuf_buffer_get_itemsize);
SWIFTBUF_GETTER(swiftbuf_buffer_get_ndim);
SWIFTBUF_GETTER(swiftbuf_buffer_get_nbytes);
SWIFTBUF_GETTER(swiftbuf_buffer_get_readonly);
SWIFTBUF_GETTER(swiftbuf_buffer_get_exports);
SWIFTBUF_GETTER(swiftbuf_buffer_get_c_contiguous);
SWIFTBUF_GETTER(swiftbuf_buffer_get_f_contiguous);

#endif
