// SPDX-License-Identifier: MIT
// MicroPython includes this only for ssize_t and the SEEK_* values.
#ifndef STUBMON_UNISTD_H
#define STUBMON_UNISTD_H
#include <stddef.h>
typedef long ssize_t;
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif
