// SPDX-License-Identifier: MIT
// arm64 (Xen dom0 or dom0less domU): what the shared code expects from a
// boot head, once head.S has the MMU on and runs at the link address.
#include <string.h>

#include "arch.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "shutdown.h"
#include "arm64.h"

const char *arch_platform = "arm64";
struct shared_info *arch_shared_info;
const char *arch_cmdline = "";
size_t arch_cmdline_max;

// The page that comes to hold Xen's shared_info frame.
static uint8_t shared_info_page[4096] __attribute__((aligned(4096)));

static uint64_t load_offset;   // physical = virtual + load_offset
extern char _start[], _end[];

uint64_t arm64_va_to_pa(const void *va) {
    return (uint64_t)(uintptr_t)va + load_offset;
}

static void say(const char *s) {
    console_write(s, strlen(s));
}

static void say_hex(uint64_t v) {
    char buf[19];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++) {
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    }
    buf[18] = 0;
    say(buf);
}

#define PSCI_0_2_FN64_CPU_ON      0xc4000003UL
#define PSCI_INVALID_PARAMETERS   (-2)

static long psci_call(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3) {
    register unsigned long x0 __asm__ ("x0") = fn;
    register unsigned long x1 __asm__ ("x1") = a1;
    register unsigned long x2 __asm__ ("x2") = a2;
    register unsigned long x3 __asm__ ("x3") = a3;
    __asm__ volatile ("hvc #0" : "+r" (x0), "+r" (x1), "+r" (x2), "+r" (x3) : : "memory");
    return (long)x0;
}

// head.S: a vCPU that only waits (wfi blocks it in Xen), MMU off.
extern char arm64_secondary_park[];

// Bring every further vCPU the domain was given online, parked: the
// domain then shows the vCPU count it was configured with (a dom0less
// `cpus` property) while only vCPU 0 runs stubmon. Xen numbers vCPU n as
// MPIDR affinity 0 = n % 16, affinity 1 = n / 16.
static void park_secondary_vcpus(void) {
    for (unsigned long n = 1; n < 128; n++) {
        unsigned long mpidr = (n & 15) | ((n >> 4) << 8);
        long rc = psci_call(PSCI_0_2_FN64_CPU_ON, mpidr, arm64_va_to_pa(arm64_secondary_park), 0);
        if (rc == PSCI_INVALID_PARAMETERS) {
            break;   // no such vCPU: that was the last
        }
    }
}

// Dom0 and dom0less domUs get their line from Xen's boot modules (Xen
// keeps 1023 characters); a domU built by a toolstack (a real xenstore
// frame from the start) from libxl's device tree, kept by our copy only.
static size_t cmdline_max(void) {
    struct xen_feature_info fi = { .submap_idx = 0 };
    if (HYPERVISOR_xen_version(XENVER_get_features, &fi) == 0 && (fi.submap & (1u << XENFEAT_dom0))) {
        return XEN_BOOTMOD_MAX_CMDLINE - 1;
    }
    struct xen_hvm_param store = { .domid = DOMID_SELF, .index = HVM_PARAM_STORE_PFN };
    // 0: no xenstore; ~0: a dom0less domU whose xenstore comes later
    if (HYPERVISOR_hvm_op(HVMOP_get_param, &store) == 0 && store.value && store.value != ~0ULL) {
        return ARM64_CMDLINE_MAX - 1;
    }
    return XEN_BOOTMOD_MAX_CMDLINE - 1;
}

// entry_cnt: CNTVCT as head.S began (the entry boot stamp).
__attribute__((noreturn)) void arm64_start(uint64_t load_pa, uint64_t entry_cnt) {
    arm64_entry_cnt = entry_cnt;
    load_offset = load_pa - (uint64_t)(uintptr_t)_start;
    arch_cmdline = arm64_cmdline_buf;
    arch_cmdline_max = cmdline_max();

    // shared_info (event channel bits, vcpu_info 0) into a page of ours.
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = arm64_va_to_pa(shared_info_page) >> 12,
    };
    long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
    if (rc != 0) {
        say("stubmon: cannot map shared_info\n");
        domain_shutdown(SHUTDOWN_crash);
    }
    arch_shared_info = (struct shared_info *)shared_info_page;
    arm64_clock_init();
    park_secondary_vcpus();
    stubmon_main();
}

// early.c maps RAM 1:1 from 1 GiB to 256 GiB: the heap is used there, at
// its physical address, in the /memory bank holding the image's end. The
// device tree may lie in it (Xen puts it after the Image file or at the
// bank's top) but was read at boot.
#define ARM64_IDENTITY_START (1ULL << 30)
#define ARM64_IDENTITY_END   (256ULL << 30)

void arch_free_ram(struct arch_free_ram *ram) {
    uint64_t image_end = arm64_va_to_pa(_end), end = image_end, total = 0;
    for (unsigned i = 0; i < arm64_ram_banks; i++) {
        uint64_t a = arm64_ram_bank[i][0], n = arm64_ram_bank[i][1];
        total += n;
        if (a <= image_end && image_end < a + n) {
            end = a + n;
        }
    }
    ram->where = "the device tree's /memory";
    if (image_end < ARM64_IDENTITY_START || image_end >= ARM64_IDENTITY_END) {
        end = image_end;   // not mapped: no heap, and main.c says so
        ram->where = "the 1-256 GiB the boot head maps";
    } else if (end > ARM64_IDENTITY_END) {
        end = ARM64_IDENTITY_END;
        ram->where = "the 1-256 GiB the boot head maps";
    }
    ram->start = image_end;
    ram->end = end;
    ram->domain_kib = total / 1024;
}

#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008UL

// No isa-debug-exit on arm: say the code in a line tools/boot.py reads,
// then PSCI SYSTEM_OFF (from dom0 it powers the machine off: QEMU ends
// with status 0). From a domU it only ends that domain.
__attribute__((noreturn)) void arch_qemu_exit(int code) {
    char line[] = "stubmon: exit 000\n";
    unsigned c = code < 0 ? 255 : (unsigned)code & 255;
    line[14] = '0' + c / 100;
    line[15] = '0' + c / 10 % 10;
    line[16] = '0' + c % 10;
    console_write(line, sizeof(line) - 1);
    console_flush();
    register unsigned long x0 __asm__ ("x0") = PSCI_0_2_FN_SYSTEM_OFF;
    __asm__ volatile ("hvc #0" : "+r" (x0) : : "x1", "x2", "x3", "memory");
    domain_shutdown(SHUTDOWN_poweroff);
}

// Any exception is a bug (stubmon takes no interrupts): say where, crash.
__attribute__((noreturn)) void arm64_trap(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far) {
    console_flush();
    say("\nstubmon: fatal: exception ");
    say_hex(kind);
    say(" esr ");
    say_hex(esr);
    say(" elr ");
    say_hex(elr);
    say(" far ");
    say_hex(far);
    say("\n");
    domain_shutdown(SHUTDOWN_crash);
}

// Console channels: dom0 and dom0less domUs write to the Xen console
// (CONSOLEIO_write). A domain `xl create` built has a PV console ring: the
// toolstack names its frame in HVM params, in the magic-page window
// early.c maps (0 for dom0 and for a dom0less domU without xenstore). Arm
// has no debug I/O port.
bool arch_console_ring(struct xencons_interface **ring, evtchn_port_t *port) {
    struct xen_hvm_param pfn = { .domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_PFN };
    struct xen_hvm_param evtchn = { .domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_EVTCHN };
    if (HYPERVISOR_hvm_op(HVMOP_get_param, &pfn) || HYPERVISOR_hvm_op(HVMOP_get_param, &evtchn)
        || !pfn.value || !evtchn_port_valid(evtchn.value)) {
        return false;   // (the port checked before it is cut to 32 bits)
    }
    uint64_t pa = pfn.value << 12;
    if (pa < ARM64_GUEST_MAGIC_BASE || pa >= ARM64_GUEST_MAGIC_BASE + ARM64_GUEST_MAGIC_SIZE) {
        return false;   // not where early.c mapped anything
    }
    *ring = (struct xencons_interface *)(uintptr_t)pa;
    *port = evtchn.value;
    return true;
}

bool arch_has_debug_port(void) {
    return false;
}

void arch_debug_port_write(const char *s, size_t n) {
    (void)s;
    (void)n;
}

// Inner shareable: the other domains' vCPUs that read our rings.
void arch_mb(void) {
    __asm__ volatile ("dmb ish" ::: "memory");
}

void arch_rmb(void) {
    __asm__ volatile ("dmb ishld" ::: "memory");
}

void arch_wmb(void) {
    __asm__ volatile ("dmb ishst" ::: "memory");
}
