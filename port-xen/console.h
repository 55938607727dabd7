#ifndef STUBMON_CONSOLE_H
#define STUBMON_CONSOLE_H
#include <stddef.h>
// Buffered by line so that each line reaches Xen in one hypercall.
void console_write(const char *s, size_t n);
void console_flush(void);
#endif
