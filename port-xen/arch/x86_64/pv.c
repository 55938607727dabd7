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

    // A PV kernel runs in ring 3: ask for I/O privilege (granted to dom0
    // only) so that exit=qemu can reach QEMU's isa-debug-exit port.
    struct physdev_set_iopl iopl = { .iopl = 1 };
    HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl);

    stubmon_main();
}
