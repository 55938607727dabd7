// SPDX-License-Identifier: MIT
// arm64 code that runs before the MMU is on, at the physical address Xen
// loaded us at. Rules: only PC-relative addressing (the small code model
// gives adrp/add for globals; no pointers stored in data), aligned
// accesses only (-mstrict-align; memory is Device-nGnRnE with the MMU off).
#include <stdint.h>
#include <stddef.h>

#include "arm64.h"

// The command line, copied out of the device tree before bss is cleared
// (Xen puts the tree right after the Image file, i.e. inside our bss).
// In .data, so it is not cleared.
char arm64_cmdline_buf[ARM64_CMDLINE_MAX] __attribute__((section(".data")));

#define FDT_MAGIC       0xd00dfeed
#define FDT_BEGIN_NODE  1
#define FDT_END_NODE    2
#define FDT_PROP        3
#define FDT_NOP         4
#define FDT_END         9

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int str_eq(const uint8_t *a, const char *b) {
    while (*b) {
        if (*a++ != (uint8_t)*b++) {
            return 0;
        }
    }
    return *a == 0;
}

// The RAM banks of /memory (dom0: host RAM Xen gave it; dom0less domU: the
// memory= of its node), for the heap (arch_free_ram). In .data, as above.
uint64_t arm64_ram_bank[ARM64_RAM_BANKS][2] __attribute__((section(".data")));
unsigned arm64_ram_banks __attribute__((section(".data")));

// A cells-long big-endian number (1 or 2 cells).
static uint64_t cells(const uint8_t *p, uint32_t n) {
    uint64_t v = 0;
    while (n--) {
        v = (v << 32) | be32(p);
        p += 4;
    }
    return v;
}

static int is_memory_node(const uint8_t *name) {
    static const char m[] = "memory";
    for (unsigned i = 0; i < sizeof(m) - 1; i++) {
        if (name[i] != (uint8_t)m[i]) {
            return 0;
        }
    }
    return name[6] == 0 || name[6] == '@';
}

// /chosen/bootargs -> arm64_cmdline_buf (empty if absent) and /memory's
// reg -> arm64_ram_bank. A tiny walk of the flattened tree's structure
// block: no libfdt, no allocation.
void arm64_early_fdt(const uint8_t *fdt) {
    arm64_cmdline_buf[0] = 0;
    arm64_ram_banks = 0;
    if (!fdt || be32(fdt) != FDT_MAGIC) {
        return;
    }
    uint32_t total = be32(fdt + 4);
    const uint8_t *p = fdt + be32(fdt + 8);
    const uint8_t *end = fdt + total;
    const uint8_t *strings = fdt + be32(fdt + 12);
    uint32_t addr_cells = 2, size_cells = 1;   // the spec's defaults at the root
    int depth = 0;
    int in_chosen = 0, in_memory = 0;
    while (p + 4 <= end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            const uint8_t *name = p;
            while (p < end && *p) {
                p++;
            }
            p = (const uint8_t *)(((uintptr_t)p + 1 + 3) & ~(uintptr_t)3);
            depth++;
            in_chosen = depth == 2 && str_eq(name, "chosen");
            in_memory = depth == 2 && is_memory_node(name);
        } else if (tok == FDT_END_NODE) {
            depth--;
            in_chosen = in_memory = 0;
        } else if (tok == FDT_PROP) {
            uint32_t len = be32(p);
            const uint8_t *pname = strings + be32(p + 4);
            const uint8_t *val = p + 8;
            p = (const uint8_t *)(((uintptr_t)val + len + 3) & ~(uintptr_t)3);
            if (depth == 1 && len == 4 && str_eq(pname, "#address-cells")) {
                addr_cells = be32(val);
            } else if (depth == 1 && len == 4 && str_eq(pname, "#size-cells")) {
                size_cells = be32(val);
            } else if (in_chosen && str_eq(pname, "bootargs")) {
                size_t n = 0;
                while (n < len && n < ARM64_CMDLINE_MAX - 1 && val[n]) {
                    arm64_cmdline_buf[n] = val[n];
                    n++;
                }
                arm64_cmdline_buf[n] = 0;
            } else if (in_memory && str_eq(pname, "reg") && addr_cells <= 2 && size_cells <= 2) {
                uint32_t step = (addr_cells + size_cells) * 4;
                for (uint32_t o = 0; step && o + step <= len && arm64_ram_banks < ARM64_RAM_BANKS; o += step) {
                    arm64_ram_bank[arm64_ram_banks][0] = cells(val + o, addr_cells);
                    arm64_ram_bank[arm64_ram_banks][1] = cells(val + o + addr_cells * 4, size_cells);
                    arm64_ram_banks++;
                }
            }
        } else if (tok == FDT_NOP) {
            continue;
        } else {
            return;   // FDT_END or garbage
        }
    }
}

// Page tables: level 1 covers 512 GiB in 1 GiB entries. Entries 1..255
// map physical 1..256 GiB 1:1 (RAM on QEMU's virt and Xen guests starts
// at 1 GiB), so the code still runs right after the MMU goes on and the
// device tree stays reachable. Entry 256 (0x40_0000_0000, the link
// address) points through one level-2 table to level-3 tables mapping the
// image page by page onto its load address (any 4 KiB alignment works).
#define PT_VALID        (1UL << 0)
#define PT_TABLE        (1UL << 1)   // level 1/2: table; level 3: page
#define PT_AF           (1UL << 10)
#define PT_SH_INNER     (3UL << 8)
#define PT_ATTR_NORMAL  (0UL << 2)   // MAIR attr0
#define PT_BLOCK_NORMAL (PT_VALID | PT_AF | PT_SH_INNER | PT_ATTR_NORMAL)
#define PT_PAGE_NORMAL  (PT_VALID | PT_TABLE | PT_AF | PT_SH_INNER | PT_ATTR_NORMAL)

#define IMAGE_L3_TABLES 4   // 8 MiB of image at most

static uint64_t pt_l1[512] __attribute__((aligned(4096)));
static uint64_t pt_l2[512] __attribute__((aligned(4096)));
static uint64_t pt_l3[IMAGE_L3_TABLES][512] __attribute__((aligned(4096)));
// The first GiB: only the window where Xen's toolstack puts a domU's magic
// pages (GUEST_MAGIC_BASE/SIZE of Xen's public arch-arm.h, visible to the
// tools only), which holds the PV console ring of an `xl create`d domain.
// In dom0 the same addresses are host MMIO, Device in stage 2: never
// touched, and the stricter type wins, so nothing is read speculatively.
static uint64_t pt_l2_low[512] __attribute__((aligned(4096)));

extern char _start[], _end[];

// Called with the MMU off, after bss is cleared; returns the level-1
// table's physical address (PC-relative addresses are physical here).
uint64_t arm64_build_tables(uint64_t load_pa) {
    for (uint64_t i = 1; i < 256; i++) {
        pt_l1[i] = (i << 30) | PT_BLOCK_NORMAL;
    }
    for (uint64_t a = ARM64_GUEST_MAGIC_BASE; a < ARM64_GUEST_MAGIC_BASE + ARM64_GUEST_MAGIC_SIZE;
         a += 1UL << 21) {
        pt_l2_low[a >> 21] = a | PT_BLOCK_NORMAL;   // 2 MiB blocks
    }
    pt_l1[0] = (uint64_t)(uintptr_t)pt_l2_low | PT_VALID | PT_TABLE;
    pt_l1[ARM64_LINK_BASE >> 30] = (uint64_t)(uintptr_t)pt_l2 | PT_VALID | PT_TABLE;
    uint64_t pages = ((uint64_t)(_end - _start) + 4095) >> 12;
    if (pages > IMAGE_L3_TABLES * 512) {
        pages = IMAGE_L3_TABLES * 512;   // link.ld keeps the image smaller
    }
    for (uint64_t t = 0; t < IMAGE_L3_TABLES; t++) {
        pt_l2[t] = (uint64_t)(uintptr_t)pt_l3[t] | PT_VALID | PT_TABLE;
    }
    for (uint64_t k = 0; k < pages; k++) {
        pt_l3[k >> 9][k & 511] = (load_pa + (k << 12)) | PT_PAGE_NORMAL;
    }
    __asm__ volatile ("dsb sy" ::: "memory");
    return (uint64_t)(uintptr_t)pt_l1;
}
