// SPDX-License-Identifier: MIT
// x86_64 PVH: an HVM container without emulated devices. Unlike PV, we
// install the hypercall page ourselves (through the MSR Xen advertises in
// CPUID) and place shared_info in our physical memory.
#include "arch.h"
#include <xen/arch-x86/hvm/start_info.h>
#include "hypercall.h"
#include "shutdown.h"
#include "x86.h"

extern char hypercall_page[];

// The command line, copied: hvm_start_info only points at it, and an xl
// domU's line (libxenguest) has no length limit but this one.
static char pvh_cmdline_buf[X86_PVH_CMDLINE_MAX];

// Xen's CPUID leaves sit at 0x40000000, or 0x100 higher when Viridian
// (Hyper-V) leaves come first.
static uint32_t xen_cpuid_base(void) {
    for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
        uint32_t a, b, c, d;
        x86_cpuid(base, &a, &b, &c, &d);
        if (b == 0x566e6558 && c == 0x65584d4d && d == 0x4d4d566e && a >= base + 2) {  // "XenVMMXenVMM"
            return base;
        }
    }
    return 0;
}

static void install_hypercall_page(void) {
    uint32_t base = xen_cpuid_base(), pages, msr, c, d;
    if (!base) {
        // Without hypercalls we cannot even print: stop here.
        for (;;) {
            __asm__ volatile ("cli; hlt");
        }
    }
    x86_cpuid(base + 2, &pages, &msr, &c, &d);
    uint64_t gpa = (uintptr_t)hypercall_page;
    __asm__ volatile ("wrmsr" : : "c" (msr), "a" ((uint32_t)gpa), "d" ((uint32_t)(gpa >> 32)));
}

__attribute__((noreturn)) void pvh_start(uint32_t start_info_pa) {
    x86_stamp_entry();
    arch_platform = "x86_64-pvh";
    install_hypercall_page();

    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uintptr_t)x86_shared_info_page >> 12,
    };
    if (HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp) != 0) {
        domain_shutdown(SHUTDOWN_crash);
    }
    x86_shared_info_ready();

    // Identity mapped: physical addresses below 4 GiB are pointers.
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;
    size_t n = 0;
    if (si->magic == XEN_HVM_START_MAGIC_VALUE && si->cmdline_paddr && si->cmdline_paddr < (1ULL << 32)) {
        const char *line = (const char *)(uintptr_t)si->cmdline_paddr;
        while (n < sizeof(pvh_cmdline_buf) - 1 && line[n]) {
            pvh_cmdline_buf[n] = line[n];
            n++;
        }
    }
    pvh_cmdline_buf[n] = 0;
    arch_cmdline = pvh_cmdline_buf;
    // Xen copies dom0's line into a MAX_GUEST_CMDLINE buffer (its NUL
    // included) for PVH as for PV; a domU's is cut only by our copy.
    struct xen_feature_info fi = { .submap_idx = 0 };
    bool dom0 = HYPERVISOR_xen_version(XENVER_get_features, &fi) == 0 && (fi.submap & (1u << XENFEAT_dom0));
    arch_cmdline_max = dom0 ? MAX_GUEST_CMDLINE - 1 : sizeof(pvh_cmdline_buf) - 1;
    stubmon_main();
}
