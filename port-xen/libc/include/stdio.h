// SPDX-License-Identifier: MIT
// Console printf from shared/libc/printf.c; no files exist here.
#ifndef STUBMON_STDIO_H
#define STUBMON_STDIO_H
#include <stddef.h>
#include <stdarg.h>
int printf(const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);
int putchar(int c);
int puts(const char *s);
int snprintf(char *str, size_t size, const char *fmt, ...);
int vsnprintf(char *str, size_t size, const char *fmt, va_list ap);
#endif
