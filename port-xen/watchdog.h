// SPDX-License-Identifier: MIT
#ifndef STUBMON_WATCHDOG_H
#define STUBMON_WATCHDOG_H
#include <stdint.h>
// Xen's per-domain watchdog (SCHEDOP_watchdog): if it is not kicked within
// its timeout, Xen shuts the domain down with reason watchdog (xl: `w`;
// the xl config's on_watchdog says what happens next).
// Arm it (or change its timeout) to `seconds`; 0 disarms. Returns 0 or a
// negative Xen errno.
long watchdog_set(uint32_t seconds);
// Kick it if armed (cheap no-op otherwise): the poll loop after each poll,
// the REPL at each line and while it waits for input.
void watchdog_kick(void);
// The armed timeout in seconds, 0 when off.
uint32_t watchdog_timeout_s(void);
#endif
