// PyInit__swiftbuf: the module object and its types. Everything else is in Swift.
#include "swiftbuf_entry_points.h"

// The C API other modules import (swiftbuf_capi.h). Filled once the types exist.
static swiftbuf_CAPI swiftbuf_capi;

static int swiftbuf_add_capi(PyObject *module) {
    swiftbuf_capi.version = SWIFTBUF_CAPI_VERSION;
    swiftbuf_capi.size = sizeof swiftbuf_capi;
    swiftbuf_capi.buffer_type = swiftbuf_BufferType;
    swiftbuf_capi.export_memory = swiftbuf_capi_export_memory;
    PyObject *capsule = PyCapsule_New(&swiftbuf_capi, SWIFTBUF_CAPI_CAPSULE, NULL);
    if (capsule == NULL) return -1;
    return PyModule_AddObject(module, "_C_API", capsule) < 0 ? (Py_DECREF(capsule), -1) : 0;
}

static int swiftbuf_exec(PyObject *module) {
    if (swiftbuf_add_buffer_type(module) < 0) return -1;
    if (swiftbuf_add_memoryview_type(module) < 0) return -1;
    if (swiftbuf_add_testing(module) < 0) return -1;
    if (swiftbuf_add_capi(module) < 0) return -1;
    return swiftbuf_module_exec(module);
}

// Private functions that drive the Swift export API from Python (tests, `python -m swiftbuf`).
static PyMethodDef swiftbuf_functions[] = {
    {"_swift_array", (PyCFunction)(void (*)(void))swiftbuf_module_swift_array, METH_FASTCALL | METH_KEYWORDS,
     "_swift_array(format, n, /, shape=None, strides=None, *, readonly=False, address=False)\n--\n\n"
     "A Swift array [T] of 0, 1, 2, ... for the element type T of `format`, exported without a copy;\n"
     "with address=True, (buffer, the address of the array's elements before the export)."},
    {"_swift_array_formats", swiftbuf_module_swift_array_formats, METH_NOARGS,
     "_swift_array_formats($module, /)\n--\n\nThe format codes of every exportable Swift element type."},
    {"_swift_matrix", (PyCFunction)(void (*)(void))swiftbuf_module_swift_matrix, METH_FASTCALL | METH_KEYWORDS,
     "_swift_matrix(rows, cols, /, *, order='C', readonly=False)\n--\n\n"
     "A Swift [Double] with m[i, j] = i * cols + j, exported without a copy."},
    {"_swift_raw_export", (PyCFunction)(void (*)(void))swiftbuf_module_swift_raw_export, METH_FASTCALL | METH_KEYWORDS,
     "_swift_raw_export(format, shape, /, strides=None, *, byte_count=None, readonly=False)\n--\n\n"
     "Raw memory (byte k = k % 251) exported with a counting deallocator."},
    {"_swift_raw_deallocations", swiftbuf_module_swift_raw_deallocations, METH_NOARGS,
     "_swift_raw_deallocations($module, /)\n--\n\nHow many _swift_raw_export deallocators have run."},
    {"_swift_sum", swiftbuf_module_swift_sum, METH_O,
     "_swift_sum($module, obj, /)\n--\n\nThe sum of a contiguous buffer of doubles, read from Swift."},
    {"_swift_scale", (PyCFunction)(void (*)(void))swiftbuf_module_swift_scale, METH_FASTCALL,
     "_swift_scale($module, obj, factor, /)\n--\n\nMultiplies a contiguous buffer of doubles in place, from Swift."},
    {"_export_release_loop", (PyCFunction)(void (*)(void))swiftbuf_module_export_release_loop, METH_FASTCALL,
     "_export_release_loop($module, obj, n, flags, /)\n--\n\n"
     "n rounds of PyObject_GetBuffer(obj, flags) + PyBuffer_Release, for benchmarks."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot swiftbuf_slots[] = {
    {Py_mod_exec, swiftbuf_exec},
    {0, NULL},
};

static struct PyModuleDef swiftbuf_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "swiftbuf._swiftbuf",
    .m_doc = "Swift-owned buffers and a Swift memoryview for CPython (PEP 3118).",
    .m_size = 0,
    .m_methods = swiftbuf_functions,
    .m_slots = swiftbuf_slots,
};

PyMODINIT_FUNC PyInit__swiftbuf(void) { return PyModuleDef_Init(&swiftbuf_module); }

// The shared helper every type file uses: make the heap type, keep it, add it to the module.
int swiftbuf_add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot) {
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);
    if (type == NULL) return -1;
    *slot = (PyTypeObject *)type;
    Py_INCREF(type);  // the global keeps one reference for the interpreter's lifetime
    const char *dot = strrchr(spec->name, '.');
    return PyModule_AddObject(module, dot ? dot + 1 : spec->name, type) < 0 ? (Py_DECREF(type), -1) : 0;
}
