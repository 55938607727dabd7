// SPDX-License-Identifier: MIT
// Boot stamps (xen.boot_ns(), modxen_bench.c): when the image was entered
// and when its first console line went out, in Xen system time.
#ifndef STUBMON_BOOTSTAMP_H
#define STUBMON_BOOTSTAMP_H
#include <stdint.h>

// The Xen time at the image's entry point. Each boot head reads its raw
// counter as it starts (x86: the TSC on entering pv_start / pvh_start;
// arm64: CNTVCT first thing in head.S) and this converts it with the clock
// calibration in force now (x86 pvclock, arm64 runstate offset): the clock
// itself cannot be read that early (shared_info not yet mapped, the arm64
// offset not yet calibrated).
uint64_t arch_entry_ns(void);
// Set by mphalport.c after the first console write that ends a line.
extern uint64_t stubmon_first_line_ns;
#endif
