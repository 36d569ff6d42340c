// swiftbuf.MemoryView: the type specs. Behaviour is in Sources/SwiftBufferExtension/MemoryView*.swift.
//
// Naming: the type is created as "swiftbuf.memoryview" (so __module__ is "swiftbuf", __name__ and
// __qualname__ "memoryview") and its tp_name is then set to "memoryview". Every message CPython
// builds from a type name ("cannot pickle 'memoryview' object", "'memoryview' object is not
// callable", "memoryview.tolist() takes no arguments (1 given)", "unsupported operand type(s) for
// +: 'memoryview' and 'int'") then reads exactly as it does for the builtin; only the class's repr
// (<class 'swiftbuf.memoryview'>) tells them apart. The module exports it as swiftbuf.MemoryView.
#include "swiftbuf_entry_points.h"
#include <stddef.h>
#include <structmember.h>

// MARK: - The managed buffer (not exported: views reach it, Python code does not)

static PyType_Slot managedbuffer_slots[] = {
    {Py_tp_dealloc, swiftbuf_managedbuffer_dealloc},
    {Py_tp_traverse, swiftbuf_managedbuffer_traverse},
    {Py_tp_clear, swiftbuf_managedbuffer_clear},
    {0, NULL},
};

static PyType_Spec managedbuffer_spec = {
    .name = "swiftbuf.managedbuffer",
    .basicsize = sizeof(swiftbuf_ManagedBufferObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = managedbuffer_slots,
};

// MARK: - The iterator

static PyMethodDef memoryiterator_methods[] = {
    {"__reduce__", swiftbuf_iterator_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot memoryiterator_slots[] = {
    {Py_tp_methods, memoryiterator_methods},
    {Py_tp_dealloc, swiftbuf_memoryiterator_dealloc},
    {Py_tp_traverse, swiftbuf_memoryiterator_traverse},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, swiftbuf_memoryiterator_next},
    {0, NULL},
};

static PyType_Spec memoryiterator_spec = {
    .name = "swiftbuf.memory_iterator",
    .basicsize = sizeof(swiftbuf_MemoryIteratorObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = memoryiterator_slots,
};

// MARK: - The view

// Docstrings and text signatures are CPython 3.11's (count and index: 3.14's).
static PyMethodDef memoryview_methods[] = {
    {"release", swiftbuf_memoryview_release, METH_NOARGS,
     "release($self, /)\n--\n\nRelease the underlying buffer exposed by the memoryview object."},
    {"tobytes", (PyCFunction)(void (*)(void))swiftbuf_memoryview_tobytes, METH_FASTCALL | METH_KEYWORDS,
     "tobytes($self, /, order='C')\n--\n\nReturn the data in the buffer as a byte string.\n\n"
     "Order can be {'C', 'F', 'A'}. When order is 'C' or 'F', the data of the\n"
     "original array is converted to C or Fortran order. For contiguous views,\n"
     "'A' returns an exact copy of the physical memory. In particular, in-memory\n"
     "Fortran order is preserved. For non-contiguous views, the data is converted\n"
     "to C first. order=None is the same as order='C'."},
    {"hex", (PyCFunction)(void (*)(void))swiftbuf_memoryview_hex, METH_FASTCALL | METH_KEYWORDS,
     "hex($self, /, sep=<unrepresentable>, bytes_per_sep=1)\n--\n\n"
     "Return the data in the buffer as a str of hexadecimal numbers.\n\n"
     "  sep\n    An optional single character or byte to separate hex bytes.\n"
     "  bytes_per_sep\n    How many bytes between separators.  Positive values count from the\n"
     "    right, negative values count from the left.\n\n"
     "Example:\n>>> value = memoryview(b'\\xb9\\x01\\xef')\n>>> value.hex()\n'b901ef'\n"
     ">>> value.hex(':')\n'b9:01:ef'\n>>> value.hex(':', 2)\n'b9:01ef'\n>>> value.hex(':', -2)\n'b901:ef'"},
    {"tolist", swiftbuf_memoryview_tolist, METH_NOARGS,
     "tolist($self, /)\n--\n\nReturn the data in the buffer as a list of elements."},
    {"cast", (PyCFunction)(void (*)(void))swiftbuf_memoryview_cast, METH_FASTCALL | METH_KEYWORDS,
     "cast($self, /, format, shape=<unrepresentable>)\n--\n\nCast a memoryview to a new format or shape."},
    {"toreadonly", swiftbuf_memoryview_toreadonly, METH_NOARGS,
     "toreadonly($self, /)\n--\n\nReturn a readonly version of the memoryview."},
    {"count", swiftbuf_memoryview_count, METH_O,
     "count($self, value, /)\n--\n\nCount the number of occurrences of a value."},
    {"index", (PyCFunction)(void (*)(void))swiftbuf_memoryview_index, METH_FASTCALL,
     "index($self, value, start=0, stop=sys.maxsize, /)\n--\n\n"
     "Return the index of the first occurrence of a value.\n\nRaises ValueError if the value is not present."},
    {"__enter__", swiftbuf_memoryview_enter, METH_NOARGS, NULL},
    {"__exit__", swiftbuf_memoryview_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef memoryview_getset[] = {
    {"obj", swiftbuf_memoryview_get_obj, NULL, "The underlying object of the memoryview.", NULL},
    {"nbytes", swiftbuf_memoryview_get_nbytes, NULL,
     "The amount of space in bytes that the array would use in\n a contiguous representation.", NULL},
    {"readonly", swiftbuf_memoryview_get_readonly, NULL, "A bool indicating whether the memory is read only.", NULL},
    {"itemsize", swiftbuf_memoryview_get_itemsize, NULL, "The size in bytes of each element of the memoryview.", NULL},
    {"format", swiftbuf_memoryview_get_format, NULL,
     "A string containing the format (in struct module style)\n for each element in the view.", NULL},
    {"ndim", swiftbuf_memoryview_get_ndim, NULL,
     "An integer indicating how many dimensions of a multi-dimensional\n array the memory represents.", NULL},
    {"shape", swiftbuf_memoryview_get_shape, NULL,
     "A tuple of ndim integers giving the shape of the memory\n as an N-dimensional array.", NULL},
    {"strides", swiftbuf_memoryview_get_strides, NULL,
     "A tuple of ndim integers giving the size in bytes to access\n each element for each dimension of the array.", NULL},
    {"suboffsets", swiftbuf_memoryview_get_suboffsets, NULL, "A tuple of integers used internally for PIL-style arrays.", NULL},
    {"c_contiguous", swiftbuf_memoryview_get_c_contiguous, NULL, "A bool indicating whether the memory is C contiguous.", NULL},
    {"f_contiguous", swiftbuf_memoryview_get_f_contiguous, NULL, "A bool indicating whether the memory is Fortran contiguous.", NULL},
    {"contiguous", swiftbuf_memoryview_get_contiguous, NULL, "A bool indicating whether the memory is contiguous.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef memoryview_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(swiftbuf_MemoryViewObject, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot memoryview_slots[] = {
    {Py_tp_doc, "memoryview(object)\n--\n\nCreate a new memoryview object which references the given object."},
    {Py_tp_new, swiftbuf_memoryview_new},
    {Py_tp_dealloc, swiftbuf_memoryview_dealloc},
    {Py_tp_traverse, swiftbuf_memoryview_traverse},
    {Py_tp_clear, swiftbuf_memoryview_clear},
    {Py_tp_repr, swiftbuf_memoryview_repr},
    {Py_tp_hash, swiftbuf_memoryview_hash},
    {Py_tp_richcompare, swiftbuf_memoryview_richcompare},
    {Py_tp_iter, swiftbuf_memoryview_iter},
    {Py_tp_methods, memoryview_methods},
    {Py_tp_getset, memoryview_getset},
    {Py_tp_members, memoryview_members},
    {Py_mp_length, swiftbuf_memoryview_length},
    {Py_mp_subscript, swiftbuf_memoryview_subscript},
    {Py_mp_ass_subscript, swiftbuf_memoryview_ass_subscript},
    {Py_sq_length, swiftbuf_memoryview_length},
    {Py_sq_item, swiftbuf_memoryview_item},
    {Py_bf_getbuffer, swiftbuf_memoryview_getbuffer},
    {Py_bf_releasebuffer, swiftbuf_memoryview_releasebuffer},
    {0, NULL},
};

static PyType_Spec memoryview_spec = {
    .name = "swiftbuf.memoryview",
    .basicsize = offsetof(swiftbuf_MemoryViewObject, ob_array),
    .itemsize = sizeof(Py_ssize_t),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_SEQUENCE | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = memoryview_slots,
};

int swiftbuf_add_memoryview_type(PyObject *module) {
    if (swiftbuf_make_type(module, &managedbuffer_spec, &swiftbuf_ManagedBufferType, "managedbuffer") < 0) return -1;
    if (swiftbuf_make_type(module, &memoryiterator_spec, &swiftbuf_MemoryIteratorType, "memory_iterator") < 0) return -1;
    // The iterator claims the builtin's module too: its repr (<memory_iterator object at ...>)
    // and type repr then read as CPython's, and nothing refers to it by name.
    PyObject *builtins = PyUnicode_InternFromString("builtins");
    int status = builtins ? PyDict_SetItemString(swiftbuf_MemoryIteratorType->tp_dict, "__module__", builtins) : -1;
    Py_XDECREF(builtins);
    if (status < 0) return -1;
    PyType_Modified(swiftbuf_MemoryIteratorType);
    if (swiftbuf_add_type(module, &memoryview_spec, &swiftbuf_MemoryViewType) < 0) return -1;
    swiftbuf_MemoryViewType->tp_name = "memoryview";
    // MemoryView(obj) by vectorcall, as swiftbuf.Buffer (buffer_type.c says why it is set here).
    swiftbuf_MemoryViewType->tp_vectorcall = swiftbuf_memoryview_vectorcall;
    return 0;
}
