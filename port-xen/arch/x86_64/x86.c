// What the PV and PVH boot paths share.
#include "arch.h"
#include "hypercall.h"
#include "shutdown.h"
#include "x86.h"

const char *arch_platform = "x86_64";
struct shared_info *arch_shared_info;
const char *arch_cmdline = "";

uint8_t x86_shared_info_page[4096] __attribute__((aligned(4096)));

// QEMU's isa-debug-exit (iobase 0xf4) ends QEMU with status (code << 1) | 1.
// PV reaches the port after PHYSDEVOP_set_iopl; PVH runs in ring 0.
#define QEMU_DEBUG_EXIT_PORT 0xf4

__attribute__((noreturn)) void arch_qemu_exit(int code) {
    __asm__ volatile ("outl %0, %w1" : : "a" ((uint32_t)code), "Nd" (QEMU_DEBUG_EXIT_PORT));
    domain_shutdown(SHUTDOWN_poweroff);
}
