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
static const struct hvm_start_info *pvh_start_info;

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
    pvh_start_info = si;
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

// One E820 entry, as XENMEM_memory_map returns them (packed, 20 bytes).
struct e820_entry {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

#define E820_RAM 1
#define PVH_MAP_MAX 32
#define PVH_MAPPED_END (1ULL << 32)   // head_pvh.S maps the low 4 GiB

extern char _image_end[];

// One RAM entry of the map: counted, and kept if it holds the image's end.
static void ram_entry(uint64_t addr, uint64_t size, uint64_t image_end, uint64_t *end, uint64_t *total) {
    *total += size;
    if (addr <= image_end && image_end < addr + size) {
        *end = addr + size;
    }
}

// The RAM entry holding the image's end, from hvm_start_info's memory map
// (version 1: Xen for dom0, libxenguest for domUs) or else XENMEM_memory_map.
// The start info, the command line (copied) and the map itself follow the
// image and are read by now, so the heap may cover them.
void x86_pvh_free_ram(struct arch_free_ram *ram) {
    uint64_t image_end = (uintptr_t)_image_end, end = image_end, total = 0;
    const struct hvm_start_info *si = pvh_start_info;
    ram->where = "the memory map";
    if (si && si->magic == XEN_HVM_START_MAGIC_VALUE && si->version >= 1 && si->memmap_entries
        && si->memmap_paddr < PVH_MAPPED_END) {
        const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
        for (uint32_t i = 0; i < si->memmap_entries; i++) {
            if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM) {
                ram_entry(e[i].addr, e[i].size, image_end, &end, &total);
            }
        }
    } else {
        static struct e820_entry map[PVH_MAP_MAX];
        struct xen_memory_map mm = { .nr_entries = PVH_MAP_MAX };
        set_xen_guest_handle(mm.buffer, map);
        if (HYPERVISOR_memory_op(XENMEM_memory_map, &mm) == 0) {
            for (unsigned i = 0; i < mm.nr_entries && i < PVH_MAP_MAX; i++) {
                if (map[i].type == E820_RAM) {
                    ram_entry(map[i].addr, map[i].size, image_end, &end, &total);
                }
            }
        }
        ram->where = "XENMEM_memory_map";
    }
    if (end > PVH_MAPPED_END) {
        end = PVH_MAPPED_END;
        ram->where = "the 4 GiB the boot head maps";
    }
    ram->start = image_end;
    ram->end = end;
    ram->domain_kib = total / 1024;
}
