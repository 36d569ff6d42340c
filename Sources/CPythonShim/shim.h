// The CPython C API as Swift sees it. Python.h comes from the interpreter that will import the
// extension: the build passes its include directory (setup.py, scripts/test.sh).
#ifndef SWIFTBUF_CPYTHONSHIM_H
#define SWIFTBUF_CPYTHONSHIM_H

#define PY_SSIZE_T_CLEAN
// pyconfig.h defines _GNU_SOURCE, _XOPEN_SOURCE and friends for the libc headers Python.h
// includes next. Swift's Glibc module is built without them, so a libc struct would reach Swift
// twice, with different members (fd_set's `fds_bits` here, `__fds_bits` there), and builds that
// import both modules fail at random. The extension needs none of the GNU or X/Open extras, so
// libc is read here with the defaults Glibc uses: this fixes every downstream target too, with
// no flag in anybody's Package.swift.
#include <pyconfig.h>
#undef _GNU_SOURCE
#undef _XOPEN_SOURCE
#undef _XOPEN_SOURCE_EXTENDED
#undef _POSIX_C_SOURCE
#undef _DARWIN_C_SOURCE
#undef _NETBSD_SOURCE
// Python.h's static inline functions (PyTuple_GET_SIZE, PyBytes_AS_STRING, Py_SIZE, ...) assert
// their argument's type unless NDEBUG is set, as it is in every release build of CPython: the
// builtin types run without those checks, so the bridge does too (79 assert sites were compiled
// into the module, some on every element access). Against a Py_DEBUG interpreter (the debug
// lane) they stay, as they do in CPython's own debug build.
#if !defined(NDEBUG) && !defined(Py_DEBUG)
#define NDEBUG
#endif
#include <Python.h>

// Macros and static inlines Swift cannot import, as prefixed functions.
static inline void swiftbuf_Py_INCREF(PyObject *o) { Py_INCREF(o); }
static inline void swiftbuf_Py_DECREF(PyObject *o) { Py_DECREF(o); }
static inline void swiftbuf_Py_XINCREF(PyObject *o) { Py_XINCREF(o); }
static inline void swiftbuf_Py_XDECREF(PyObject *o) { Py_XDECREF(o); }
static inline PyObject *swiftbuf_Py_None(void) { return Py_None; }
static inline PyObject *swiftbuf_Py_True(void) { return Py_True; }
static inline PyObject *swiftbuf_Py_False(void) { return Py_False; }
static inline PyObject *swiftbuf_Py_NotImplemented(void) { return Py_NotImplemented; }
static inline PyObject *swiftbuf_Py_Ellipsis(void) { return Py_Ellipsis; }
static inline PyTypeObject *swiftbuf_Py_TYPE(PyObject *o) { return Py_TYPE(o); }
static inline Py_ssize_t swiftbuf_Py_REFCNT(PyObject *o) { return Py_REFCNT(o); }
static inline int swiftbuf_PyTuple_Check(PyObject *o) { return PyTuple_Check(o); }
static inline int swiftbuf_PyList_Check(PyObject *o) { return PyList_Check(o); }
static inline int swiftbuf_PyLong_Check(PyObject *o) { return PyLong_Check(o); }
static inline int swiftbuf_PyFloat_Check(PyObject *o) { return PyFloat_Check(o); }
static inline int swiftbuf_PyBool_Check(PyObject *o) { return PyBool_Check(o); }
static inline int swiftbuf_PyBytes_Check(PyObject *o) { return PyBytes_Check(o); }
static inline int swiftbuf_PyUnicode_Check(PyObject *o) { return PyUnicode_Check(o); }
static inline int swiftbuf_PySlice_Check(PyObject *o) { return PySlice_Check(o); }
static inline int swiftbuf_PyIndex_Check(PyObject *o) { return PyIndex_Check(o); }
// PyObject_CheckBuffer's body (abstract.c, 3.11), which is a function there: the call was a
// tenth of what MemoryView(b) spends outside the allocations.
static inline int swiftbuf_PyObject_CheckBuffer(PyObject *o) {
    PyBufferProcs *procs = Py_TYPE(o)->tp_as_buffer;
    return procs != NULL && procs->bf_getbuffer != NULL;
}
static inline int swiftbuf_PyType_IsSubtype(PyObject *o, PyTypeObject *t) { return PyObject_TypeCheck(o, t); }
static inline PyObject *swiftbuf_PyTuple_GET_ITEM(PyObject *t, Py_ssize_t i) { return PyTuple_GET_ITEM(t, i); }
static inline Py_ssize_t swiftbuf_PyTuple_GET_SIZE(PyObject *t) { return PyTuple_GET_SIZE(t); }
static inline void swiftbuf_PyTuple_SET_ITEM(PyObject *t, Py_ssize_t i, PyObject *v) { PyTuple_SET_ITEM(t, i, v); }
static inline PyObject *swiftbuf_PyList_GET_ITEM(PyObject *l, Py_ssize_t i) { return PyList_GET_ITEM(l, i); }
static inline Py_ssize_t swiftbuf_PyList_GET_SIZE(PyObject *l) { return PyList_GET_SIZE(l); }
static inline void swiftbuf_PyList_SET_ITEM(PyObject *l, Py_ssize_t i, PyObject *v) { PyList_SET_ITEM(l, i, v); }
static inline char *swiftbuf_PyBytes_AS_STRING(PyObject *b) { return PyBytes_AS_STRING(b); }
static inline Py_ssize_t swiftbuf_PyBytes_GET_SIZE(PyObject *b) { return PyBytes_GET_SIZE(b); }
static inline double swiftbuf_PyFloat_AS_DOUBLE(PyObject *f) { return PyFloat_AS_DOUBLE(f); }
static inline int swiftbuf_Py_VISIT(PyObject *o, visitproc visit, void *arg) { Py_VISIT(o); return 0; }
static inline void *swiftbuf_PyObject_GC_New(PyTypeObject *t) { return t->tp_alloc(t, 0); }
static inline allocfunc swiftbuf_tp_alloc(PyTypeObject *t) { return t->tp_alloc; }
static inline freefunc swiftbuf_tp_free(PyTypeObject *t) { return t->tp_free; }
// The constructors of an element's object, declared a second time under their own symbols, each
// returning the new object's address as an integer. Swift represents a `PyObject *` that may be
// NULL (an optional pointer) as an integer, so a result typed `PyObject *` is converted before a
// slot returns it, and that conversion after the call keeps the compiler from jumping to the
// constructor in tail position, as CPython's C does: the slot calls, then returns. For
// `for x in m` that was a call, a return and a saved register more per element, and 1.12x the
// builtin's time at the same instruction count. With these the call's result already is
// Swift's representation, and the slot jumps. A pointer and an `intptr_t` are returned in the
// same register in every ABI Swift targets (x86-64 SysV and Windows, AArch64).
#define SWIFTBUF_STRINGIFY_(x) #x
#define SWIFTBUF_STRINGIFY(x) SWIFTBUF_STRINGIFY_(x)
#define SWIFTBUF_SYMBOL(name) __asm__(SWIFTBUF_STRINGIFY(__USER_LABEL_PREFIX__) #name)
intptr_t swiftbuf_PyLong_FromLong_address(long) SWIFTBUF_SYMBOL(PyLong_FromLong);
intptr_t swiftbuf_PyLong_FromUnsignedLongLong_address(unsigned long long) SWIFTBUF_SYMBOL(PyLong_FromUnsignedLongLong);
intptr_t swiftbuf_PyLong_FromVoidPtr_address(void *) SWIFTBUF_SYMBOL(PyLong_FromVoidPtr);
intptr_t swiftbuf_PyFloat_FromDouble_address(double) SWIFTBUF_SYMBOL(PyFloat_FromDouble);
intptr_t swiftbuf_PyBytes_FromStringAndSize_address(const char *, Py_ssize_t) SWIFTBUF_SYMBOL(PyBytes_FromStringAndSize);
intptr_t swiftbuf_PyTuple_New_address(Py_ssize_t) SWIFTBUF_SYMBOL(PyTuple_New);
// PyArg_ParseTuple and PyArg_ParseTupleAndKeywords for Swift, which cannot call C varargs
// (withVaList boxes and casts every argument): `p` has 8 entries, the addresses the format's
// units fill in order; entries past the format's units are passed along and never used.
static inline int swiftbuf_PyArg_ParseTuple8(PyObject *args, const char *format, void **p) {
    return PyArg_ParseTuple(args, format, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}
static inline int swiftbuf_PyArg_ParseTupleAndKeywords8(PyObject *args, PyObject *kwargs, const char *format,
                                                        char **keywords, void **p) {
    return PyArg_ParseTupleAndKeywords(args, kwargs, format, keywords, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}
// swiftbuf.MemoryView (element conversions, hex, list building).
static inline int swiftbuf_PyLong_CheckExact(PyObject *o) { return PyLong_CheckExact(o); }
static inline int swiftbuf_PyUnicode_CheckExact(PyObject *o) { return PyUnicode_CheckExact(o); }
// int conversion with OverflowError beyond C int: public from 3.13, private (and removed then) before.
static inline int swiftbuf_PyLong_AsInt(PyObject *o) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_AsInt(o);
#else
    return _PyLong_AsInt(o);
#endif
}
static inline int swiftbuf_PyBytes_CheckExact(PyObject *o) { return PyBytes_CheckExact(o); }
static inline int swiftbuf_PyUnicode_KIND(PyObject *o) { return (int)PyUnicode_KIND(o); }
static inline Py_UCS4 swiftbuf_PyUnicode_READ_CHAR(PyObject *o, Py_ssize_t i) { return PyUnicode_READ_CHAR(o, i); }
static inline Py_UCS1 *swiftbuf_PyUnicode_1BYTE_DATA(PyObject *o) { return PyUnicode_1BYTE_DATA(o); }
// A compact ASCII str's characters are its bytes, NUL-terminated, in the object.
static inline int swiftbuf_PyUnicode_IS_COMPACT_ASCII(PyObject *o) { return PyUnicode_IS_COMPACT_ASCII(o); }
static inline const char *swiftbuf_PyUnicode_ASCII_DATA(PyObject *o) { return (const char *)(((PyASCIIObject *)o) + 1); }
static inline Py_ssize_t swiftbuf_PyUnicode_GET_LENGTH(PyObject *o) { return PyUnicode_GET_LENGTH(o); }
static inline Py_ssize_t swiftbuf_PyDict_GET_SIZE(PyObject *d) { return PyDict_GET_SIZE(d); }
static inline PyObject **swiftbuf_PyList_ITEMS(PyObject *l) { return ((PyListObject *)l)->ob_item; }
// pycore_abstract.h's _PyIndex_Check, inline (PyIndex_Check is an exported function in 3.11).
static inline int swiftbuf__PyIndex_Check(PyObject *o) {
    PyNumberMethods *nb = Py_TYPE(o)->tp_as_number;
    return nb != NULL && nb->nb_index != NULL;
}
// Exception types as functions: Swift 6 refuses reads of C globals it cannot prove immutable.
static inline PyObject *swiftbuf_PyExc_BufferError(void) { return PyExc_BufferError; }
static inline PyObject *swiftbuf_PyExc_ValueError(void) { return PyExc_ValueError; }
static inline PyObject *swiftbuf_PyExc_TypeError(void) { return PyExc_TypeError; }
static inline PyObject *swiftbuf_PyExc_IndexError(void) { return PyExc_IndexError; }
static inline PyObject *swiftbuf_PyExc_ImportError(void) { return PyExc_ImportError; }
static inline PyObject *swiftbuf_PyExc_RuntimeError(void) { return PyExc_RuntimeError; }
static inline PyObject *swiftbuf_PyExc_MemoryError(void) { return PyExc_MemoryError; }
static inline PyObject *swiftbuf_PyExc_OverflowError(void) { return PyExc_OverflowError; }
static inline PyObject *swiftbuf_PyExc_NotImplementedError(void) { return PyExc_NotImplementedError; }
static inline PyObject *swiftbuf_PyExc_SystemError(void) { return PyExc_SystemError; }
static inline PyObject *swiftbuf_PyExc_AttributeError(void) { return PyExc_AttributeError; }
// Module definitions for extension modules written in Swift (SwiftBufferPython's PythonModule):
// PyModuleDef_HEAD_INIT and PyModule_Create are macros.
static inline void swiftbuf_PyModuleDef_Init(PyModuleDef *def, const char *name, const char *doc) {
    PyModuleDef initial = {PyModuleDef_HEAD_INIT, name, doc, -1, NULL, NULL, NULL, NULL, NULL};
    *def = initial;
}
static inline PyObject *swiftbuf_PyModule_Create(PyModuleDef *def) { return PyModule_Create(def); }

#endif
