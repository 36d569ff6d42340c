#include "swiftbuf_entry_points.h"
int swiftbuf_add_memoryview_type(PyObject *module) { (void)module; return 0; }
