// SPDX-License-Identifier: MIT
// MicroPython uses its own errno table (MICROPY_USE_INTERNAL_ERRNO).
#ifndef STUBMON_ERRNO_H
#define STUBMON_ERRNO_H
#endif
