// SPDX-License-Identifier: MIT
#ifndef STUBMON_ALLOCA_H
#define STUBMON_ALLOCA_H
#define alloca(n) __builtin_alloca(n)
#endif
