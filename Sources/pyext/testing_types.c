// swiftbuf.testing: CPython's _testbuffer (Modules/_testbuffer.c) with Swift behind it. This
// file only declares the module, its two types and its functions; every slot lands in
// Sources/SwiftBufferExtension/Testing*.swift, the layout engine is Sources/SwiftBuffer/NDArray*.swift.
#include "swiftbuf_entry_points.h"

// MARK: - ndarray

static PyMethodDef ndarray_methods[] = {
    {"tolist", swiftbuf_ndarray_tolist, METH_NOARGS, NULL},
    {"tobytes", swiftbuf_ndarray_tobytes, METH_NOARGS, NULL},
    {"push", (PyCFunction)(void (*)(void))swiftbuf_ndarray_push, METH_VARARGS | METH_KEYWORDS, NULL},
    {"pop", swiftbuf_ndarray_pop, METH_NOARGS, NULL},
    {"add_suboffsets", swiftbuf_ndarray_add_suboffsets, METH_NOARGS, NULL},
    {"memoryview_from_buffer", swiftbuf_ndarray_memoryview_from_buffer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef ndarray_getset[] = {
    // the base buffer
    {"flags", swiftbuf_ndarray_get_flags, NULL, NULL, NULL},
    {"offset", swiftbuf_ndarray_get_offset, NULL, NULL, NULL},
    // its Py_buffer
    {"obj", swiftbuf_ndarray_get_obj, NULL, NULL, NULL},
    {"nbytes", swiftbuf_ndarray_get_nbytes, NULL, NULL, NULL},
    {"readonly", swiftbuf_ndarray_get_readonly, NULL, NULL, NULL},
    {"itemsize", swiftbuf_ndarray_get_itemsize, NULL, NULL, NULL},
    {"format", swiftbuf_ndarray_get_format, NULL, NULL, NULL},
    {"ndim", swiftbuf_ndarray_get_ndim, NULL, NULL, NULL},
    {"shape", swiftbuf_ndarray_get_shape, NULL, NULL, NULL},
    {"strides", swiftbuf_ndarray_get_strides, NULL, NULL, NULL},
    {"suboffsets", swiftbuf_ndarray_get_suboffsets, NULL, NULL, NULL},
    {"c_contiguous", swiftbuf_ndarray_get_c_contiguous, NULL, NULL, NULL},
    {"f_contiguous", swiftbuf_ndarray_get_f_contiguous, NULL, NULL, NULL},
    {"contiguous", swiftbuf_ndarray_get_contiguous, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot ndarray_slots[] = {
    {Py_tp_new, PyType_GenericNew},  // zeroed: `array` and `consumer` stay NULL until __init__
    {Py_tp_init, swiftbuf_ndarray_init},
    {Py_tp_dealloc, swiftbuf_ndarray_dealloc},
    {Py_tp_hash, swiftbuf_ndarray_hash},
    {Py_tp_methods, ndarray_methods},
    {Py_tp_getset, ndarray_getset},
    {Py_sq_item, swiftbuf_ndarray_item},
    {Py_mp_subscript, swiftbuf_ndarray_subscript},
    {Py_mp_ass_subscript, swiftbuf_ndarray_ass_subscript},
    {Py_bf_getbuffer, swiftbuf_ndarray_getbuffer},
    {Py_bf_releasebuffer, swiftbuf_ndarray_releasebuffer},
    {0, NULL},
};

static PyType_Spec ndarray_spec = {
    .name = "swiftbuf.testing.ndarray",
    .basicsize = 0,  // swiftbuf_ndarray_basicsize(), set before the type is made
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,  // not a base type, like _testbuffer's
    .slots = ndarray_slots,
};

// MARK: - staticarray

static PyType_Slot staticarray_slots[] = {
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, swiftbuf_staticarray_init},
    {Py_tp_dealloc, swiftbuf_staticarray_dealloc},
    {Py_bf_getbuffer, swiftbuf_staticarray_getbuffer},  // no releasebuffer, like _testbuffer's
    {0, NULL},
};

static PyType_Spec staticarray_spec = {
    .name = "swiftbuf.testing.staticarray",
    .basicsize = sizeof(swiftbuf_StaticArrayObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = staticarray_slots,
};

// MARK: - Module

static PyMethodDef testing_functions[] = {
    {"slice_indices", swiftbuf_testing_slice_indices, METH_VARARGS, NULL},
    {"get_pointer", swiftbuf_testing_get_pointer, METH_VARARGS, NULL},
    {"get_sizeof_void_p", swiftbuf_testing_get_sizeof_void_p, METH_NOARGS, NULL},
    {"get_contiguous", swiftbuf_testing_get_contiguous, METH_VARARGS, NULL},
    {"py_buffer_to_contiguous", swiftbuf_testing_py_buffer_to_contiguous, METH_VARARGS, NULL},
    {"is_contiguous", swiftbuf_testing_is_contiguous, METH_VARARGS, NULL},
    {"cmp_contig", swiftbuf_testing_cmp_contig, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

// swiftbuf._swiftbuf.testing: a submodule object holding exactly _testbuffer's names;
// swiftbuf/testing.py re-exports it.
int swiftbuf_add_testing(PyObject *module) {
    PyObject *testing = PyModule_New("swiftbuf.testing");
    if (testing == NULL) return -1;
    ndarray_spec.basicsize = (int)swiftbuf_ndarray_basicsize();
    if (PyModule_AddFunctions(testing, testing_functions) < 0
        || swiftbuf_add_type(testing, &ndarray_spec, &swiftbuf_NDArrayType) < 0
        || swiftbuf_add_type(testing, &staticarray_spec, &swiftbuf_StaticArrayType) < 0
        || swiftbuf_testing_exec(testing) < 0
        || PyModule_AddObject(module, "testing", testing) < 0) {
        Py_DECREF(testing);
        return -1;
    }
    return 0;
}
