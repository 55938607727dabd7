// SPDX-License-Identifier: MIT
#ifndef STUBMON_ASSERT_H
#define STUBMON_ASSERT_H
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
__attribute__((noreturn)) void stubmon_assert_fail(const char *expr, const char *file, int line);
#define assert(e) ((e) ? (void)0 : stubmon_assert_fail(#e, __FILE__, __LINE__))
#endif
#endif
