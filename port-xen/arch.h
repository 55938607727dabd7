// SPDX-License-Identifier: MIT
// What every boot head (port-xen/arch/<arch>/) provides to the shared code.
#ifndef STUBMON_ARCH_H
#define STUBMON_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen_public.h"

// How this image was booted, e.g. "x86_64-pv"; shown by xen.platform.
extern const char *arch_platform;
// The Xen shared_info page, mapped by the boot head.
extern struct shared_info *arch_shared_info;
// The kernel command line (Xen's module arguments or xl's extra=).
extern const char *arch_cmdline;
// The longest command line this boot can deliver: a line this long must be
// assumed cut (Xen, the toolstack or our own copy drop the rest without a
// word). Shown as xen.cmdline_max.
extern size_t arch_cmdline_max;

// The domain's PV console ring (read by xenconsoled, `xl console`), if it
// has one: a domU created by a toolstack does, dom0 does not.
bool arch_console_ring(struct xencons_interface **ring, evtchn_port_t *port);
// The hypervisor's debug output port where this guest type has one (x86
// PVH/HVM: I/O port 0xE9, shown by Xen as "(dN) ..."), else false.
bool arch_has_debug_port(void);
void arch_debug_port_write(const char *s, size_t n);

// Leave QEMU with a status the test harness can read; used only when the
// monitor is told exit=qemu. Falls back to a Xen shutdown.
__attribute__((noreturn)) void arch_qemu_exit(int code);

// Xen system time (ns since the hypervisor booted), the clock SCHEDOP_poll
// timeouts are given in.
uint64_t arch_now_ns(void);
// Called after each block (SCHEDOP_poll returned): arm64 refines its clock
// from what Xen stamped at the wake; x86 has nothing to do.
void arch_after_block(void);
// CPU time this vCPU has spent running, completed stints only (up to its
// last block): the stint in progress is left out so that the sum never
// goes back.
uint64_t arch_own_cpu_ns(void);

// CPU memory barriers (barrier.h's mb, rmb, wmb): all accesses, loads,
// stores. Out of line, so also compiler barriers.
void arch_mb(void);
void arch_rmb(void);
void arch_wmb(void);

// The RAM the heap may take (main.c): the run of free memory right after
// the image, found from what Xen handed over (PV: start_info and Xen's
// initial mapping; PVH: the memory map in hvm_start_info; arm64: the
// device tree's /memory). Whatever the handover put there (the PVH start
// info, the device tree) has been read by then: the run may cover it.
// domain_kib: all the memory the domain has, for the boot line; where:
// what bounds the run, for a too-small domain's message.
struct arch_free_ram {
    uintptr_t start, end;
    uint64_t domain_kib;
    const char *where;
};
void arch_free_ram(struct arch_free_ram *ram);

// Entered from the boot head once the machine is set up.
__attribute__((noreturn)) void stubmon_main(void);

#endif
