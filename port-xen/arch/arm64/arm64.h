// SPDX-License-Identifier: MIT
// Shared by the arm64 boot files.
#ifndef STUBMON_ARM64_H
#define STUBMON_ARM64_H
#include <stdint.h>

#define ARM64_LINK_BASE     0x4000000000UL   // link.ld
// The toolstack's magic pages of a domU (GUEST_MAGIC_BASE/SIZE, Xen's
// public arch-arm.h, tools-only there): console ring, xenstore, ...
#define ARM64_GUEST_MAGIC_BASE 0x39000000UL
#define ARM64_GUEST_MAGIC_SIZE 0x01000000UL
// Our copy of /chosen/bootargs, with its NUL: larger than any line Xen
// passes (BOOTMOD_MAX_CMDLINE), so Xen's cut is the one that shows.
#define ARM64_CMDLINE_MAX   4096
// Xen's arm bootmodule command line buffer (xen/include/xen/bootfdt.h, not
// public): Xen keeps 1023 characters and panics on a module's bootargs of
// more than 1024, before its console is up (docs/cmdline.md).
#define XEN_BOOTMOD_MAX_CMDLINE 1024

extern char arm64_cmdline_buf[ARM64_CMDLINE_MAX];
// /memory's banks (address, size), read with the command line at boot.
#define ARM64_RAM_BANKS     8
extern uint64_t arm64_ram_bank[ARM64_RAM_BANKS][2];
extern unsigned arm64_ram_banks;

// timer.c: Xen system time from the generic timer, calibrated against the
// runstate area Xen updates at each context switch (arch_after_block).
void arm64_clock_init(void);
// CNTVCT at the image's entry (head.S), for arch_entry_ns (bootstamp.h).
extern uint64_t arm64_entry_cnt;

// Physical address of an image address (for hypercalls taking frames).
uint64_t arm64_va_to_pa(const void *va);

#endif
