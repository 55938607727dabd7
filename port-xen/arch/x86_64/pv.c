// SPDX-License-Identifier: MIT
// x86_64 PV: turn Xen's start_info into what the shared code expects.
#include "arch.h"
#include "hypercall.h"
#include "x86.h"

__attribute__((noreturn)) void pv_start(start_info_t *si) {
    x86_stamp_entry();
    arch_platform = "x86_64-pv";
    x86_pv_start_info = si;
    // Mapping shared_info first: the clock and event channels live there.
    // Re-pointing a page of our own image leaves its old frame unused.
    x86_pv_map_frame(x86_shared_info_page, si->shared_info >> 12);
    x86_shared_info_ready();
    // start_info.cmd_line: Xen (dom0) and libxenguest (xl domU) both cut
    // the line to fit it with its NUL.
    si->cmd_line[MAX_GUEST_CMDLINE - 1] = '\0';
    arch_cmdline = (const char *)si->cmd_line;
    arch_cmdline_max = MAX_GUEST_CMDLINE - 1;
    // No I/O privilege here: only exit=qemu needs a port (x86.c asks then).
    stubmon_main();
}

// xen.h "Start-of-day memory layout": the initial region is mapped 1:1
// onto the first pseudo-physical frames, ends on a 4 MiB boundary and has
// at least 512 KiB after its last element, the bootstrap stack (the page
// after the page tables; we run on our own). Frames past the region are
// the domain's too, but unmapped: the heap ends where the region does.
#define PV_REGION_ALIGN (4UL << 20)
#define PV_PADDING      (512UL << 10)

void x86_pv_free_ram(struct arch_free_ram *ram) {
    const start_info_t *si = x86_pv_start_info;
    uintptr_t stack_end = si->pt_base + (si->nr_pt_frames + 1) * 4096;
    uintptr_t mapped_end = (stack_end + PV_PADDING + PV_REGION_ALIGN - 1) & ~(PV_REGION_ALIGN - 1);
    uintptr_t ram_end = si->nr_pages * 4096;   // VIRT_BASE 0: frame n is at n * 4 KiB
    ram->start = stack_end;
    ram->end = ram_end < mapped_end ? ram_end : mapped_end;
    ram->domain_kib = (uint64_t)si->nr_pages * 4;
    ram->where = ram->end == ram_end ? "the domain's memory" : "Xen's initial 4 MiB-aligned mapping";
}
