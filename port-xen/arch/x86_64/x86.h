// SPDX-License-Identifier: MIT
// Shared by the PV and PVH boot paths of the one x86_64 image.
#ifndef STUBMON_X86_H
#define STUBMON_X86_H
#include <stdint.h>
#include "hypercall.h"
#include "xen_public.h"

static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags) {
    return HC(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

// A page of the image that comes to hold the shared_info frame (PV:
// re-pointed with update_va_mapping; PVH: XENMEM_add_to_physmap).
extern uint8_t x86_shared_info_page[4096];
// Both boot paths, once x86_shared_info_page holds shared_info: point
// arch_shared_info at it, event upcalls masked (SCHEDOP_poll requires it).
void x86_shared_info_ready(void);
// Set by the boot path taken: PV's start_info, or NULL when booted as PVH.
extern struct start_info *x86_pv_start_info;

// arch_free_ram of each boot path (pv.c, pvh.c).
struct arch_free_ram;
void x86_pv_free_ram(struct arch_free_ram *ram);
void x86_pvh_free_ram(struct arch_free_ram *ram);

// PVH: the longest command line kept (our copy, with its NUL).
#define X86_PVH_CMDLINE_MAX 4096

// PV: make the page of our image at `va` show machine frame `mfn` instead.
long x86_pv_map_frame(void *va, uint64_t mfn);

// First thing on entry (pv_start, pvh_start): the TSC the boot stamp
// (bootstamp.h) is converted from once the clock can be read.
void x86_stamp_entry(void);

static inline void x86_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    __asm__ volatile ("cpuid" : "=a" (*a), "=b" (*b), "=c" (*c), "=d" (*d) : "0" (leaf), "2" (0));
}
#endif
