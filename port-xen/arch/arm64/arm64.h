// Shared by the arm64 boot files.
#ifndef STUBMON_ARM64_H
#define STUBMON_ARM64_H
#include <stdint.h>

#define ARM64_LINK_BASE     0x4000000000UL   // link.ld
#define ARM64_CMDLINE_MAX   1024

extern char arm64_cmdline_buf[ARM64_CMDLINE_MAX];

// timer.c: Xen system time from the generic timer, calibrated against the
// runstate area Xen updates at each context switch.
void arm64_clock_init(void);
uint64_t arm64_own_cpu_ns(void);
void arm64_after_block(void);

// Physical address of an image address (for hypercalls taking frames).
uint64_t arm64_va_to_pa(const void *va);

#endif
