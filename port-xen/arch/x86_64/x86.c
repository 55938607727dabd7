// SPDX-License-Identifier: MIT
// What the PV and PVH boot paths share.
#include "arch.h"
#include "evtchn.h"
#include "hypercall.h"
#include "shutdown.h"
#include "x86.h"

const char *arch_platform = "x86_64";
struct shared_info *arch_shared_info;
const char *arch_cmdline = "";
size_t arch_cmdline_max;

uint8_t x86_shared_info_page[4096] __attribute__((aligned(4096)));
struct start_info *x86_pv_start_info;

// PV: the console ring frame is a machine frame, mapped over this page.
static uint8_t pv_console_page[4096] __attribute__((aligned(4096)));

void x86_shared_info_ready(void) {
    arch_shared_info = (struct shared_info *)x86_shared_info_page;
    // Masked from boot already; make sure.
    arch_shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
}

long x86_pv_map_frame(void *va, uint64_t mfn) {
    const uint64_t present_rw_user = 0x7;
    return HYPERVISOR_update_va_mapping((unsigned long)va, (mfn << 12) | present_rw_user, UVMF_INVLPG);
}

bool arch_console_ring(struct xencons_interface **ring, evtchn_port_t *port) {
    struct start_info *si = x86_pv_start_info;
    if (si) {
        // dom0's start_info holds video console data in the same union
        if ((si->flags & SIF_INITDOMAIN) || !si->console.domU.mfn) {
            return false;
        }
        if (x86_pv_map_frame(pv_console_page, si->console.domU.mfn)) {
            return false;
        }
        *ring = (struct xencons_interface *)pv_console_page;
        *port = si->console.domU.evtchn;
        return true;
    }
    // PVH: the toolstack names the ring's frame in HVM params (0 for dom0);
    // memory below 4 GiB is identity mapped.
    struct xen_hvm_param pfn = { .domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_PFN };
    struct xen_hvm_param evtchn = { .domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_EVTCHN };
    if (HYPERVISOR_hvm_op(HVMOP_get_param, &pfn) || HYPERVISOR_hvm_op(HVMOP_get_param, &evtchn)
        || !pfn.value || pfn.value >= (1ULL << 20) || !evtchn_port_valid(evtchn.value)) {
        return false;   // (the port checked before it is cut to 32 bits)
    }
    *ring = (struct xencons_interface *)(uintptr_t)(pfn.value << 12);
    *port = evtchn.value;
    return true;
}

void arch_free_ram(struct arch_free_ram *ram) {
    if (x86_pv_start_info) {
        x86_pv_free_ram(ram);
    } else {
        x86_pvh_free_ram(ram);
    }
}

// Port 0xE9 is emulated by Xen for HVM-type guests only: a PV guest's
// I/O instructions would go to the real port (or fault).
bool arch_has_debug_port(void) {
    return x86_pv_start_info == NULL;
}

void arch_debug_port_write(const char *s, size_t n) {
    while (n--) {
        __asm__ volatile ("outb %0, $0xe9" : : "a" (*s++));
    }
}

// QEMU's isa-debug-exit (iobase 0xf4) ends QEMU with status (code << 1) | 1.
// PVH runs in ring 0. A PV kernel runs in ring 3 and asks for I/O privilege
// (granted to dom0 only) here, at the end, not at boot: as PV dom0 it would
// reach every I/O port of the host, and only this test exit needs one.
#define QEMU_DEBUG_EXIT_PORT 0xf4

__attribute__((noreturn)) void arch_qemu_exit(int code) {
    if (x86_pv_start_info != NULL) {
        struct physdev_set_iopl iopl = { .iopl = 1 };
        HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl);
    }
    __asm__ volatile ("outl %0, %w1" : : "a" ((uint32_t)code), "Nd" (QEMU_DEBUG_EXIT_PORT));
    domain_shutdown(SHUTDOWN_poweroff);
}

// x86 reorders no loads with loads and no stores with stores (nor earlier
// loads with later stores): only a store then a load needs mfence.
void arch_mb(void) {
    __asm__ volatile ("mfence" ::: "memory");
}

void arch_rmb(void) {
}

void arch_wmb(void) {
}

// The pvclock needs no refining.
void arch_after_block(void) {
}

uint64_t arch_own_cpu_ns(void) {
    struct vcpu_runstate_info rs;
    if (HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &rs) != 0) {
        return 0;
    }
    // Completed running stints only (arch.h): the start stamp of the one
    // in progress and our extrapolated clock need not agree.
    return rs.time[RUNSTATE_running];
}
