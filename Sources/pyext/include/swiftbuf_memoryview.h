// Entry points of swiftbuf.MemoryView (Swift, @_cdecl), for the type specs.
#ifndef SWIFTBUF_MEMORYVIEW_H
#define SWIFTBUF_MEMORYVIEW_H
#include "../objects/include/swiftbuf_objects.h"

#endif
