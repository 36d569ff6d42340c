#include "swiftbuf_entry_points.h"
int swiftbuf_add_testing(PyObject *module) { (void)module; return 0; }
