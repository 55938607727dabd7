// SPDX-License-Identifier: MIT
#ifndef STUBMON_STDLIB_H
#define STUBMON_STDLIB_H
#include <stddef.h>
// No allocator: the MicroPython heap is a static array.
#define abs(x) __builtin_abs(x)
__attribute__((noreturn)) void abort(void);
#endif
