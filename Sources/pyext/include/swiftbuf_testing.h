// Entry points of swiftbuf.testing (Swift, @_cdecl), for the type specs.
#ifndef SWIFTBUF_TESTING_H
#define SWIFTBUF_TESTING_H
#include "../objects/include/swiftbuf_objects.h"

#endif
