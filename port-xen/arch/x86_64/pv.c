// x86_64 PV: turn Xen's start_info into what the shared code expects.
#include "arch.h"
#include "hypercall.h"
#include "shutdown.h"

const char *const arch_platform = "x86_64-pv";
struct shared_info *arch_shared_info;
const char *arch_cmdline = "";

// A page of our own image whose virtual address we re-point at the real
// shared_info frame (its original backing page is simply not used).
static uint8_t shared_info_page[4096] __attribute__((aligned(4096)));

#define PTE_PRESENT_RW_USER 0x7

__attribute__((noreturn)) void pv_start(start_info_t *si) {
    // Mapping shared_info first: the clock and event channels live there.
    HYPERVISOR_update_va_mapping((unsigned long)shared_info_page,
        (si->shared_info & ~0xfffULL) | PTE_PRESENT_RW_USER, UVMF_INVLPG);
    arch_shared_info = (struct shared_info *)shared_info_page;
    si->cmd_line[MAX_GUEST_CMDLINE - 1] = '\0';
    arch_cmdline = (const char *)si->cmd_line;

    // A PV kernel runs in ring 3: ask for I/O privilege (granted to dom0
    // only) so that exit=qemu can reach QEMU's isa-debug-exit port.
    struct physdev_set_iopl iopl = { .iopl = 1 };
    HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl);

    stubmon_main();
}

// QEMU's isa-debug-exit (iobase 0xf4) ends QEMU with status (code << 1) | 1.
#define QEMU_DEBUG_EXIT_PORT 0xf4

__attribute__((noreturn)) void arch_qemu_exit(int code) {
    __asm__ volatile ("outl %0, %w1" : : "a" ((uint32_t)code), "Nd" (QEMU_DEBUG_EXIT_PORT));
    domain_shutdown(SHUTDOWN_poweroff);
}
