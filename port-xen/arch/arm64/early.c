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

// a (at most n bytes, not necessarily NUL-terminated within them) equals
// the string b: never reads a[n] or past it.
static int str_eq(const uint8_t *a, size_t n, const char *b) {
    size_t i = 0;
    for (; b[i]; i++) {
        if (i >= n || a[i] != (uint8_t)b[i]) {
            return 0;
        }
    }
    return i < n && a[i] == 0;
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

// "memory" or "memory@...", within its n bytes
static int is_memory_node(const uint8_t *name, size_t n) {
    static const char m[] = "memory";
    for (unsigned i = 0; i < sizeof(m) - 1; i++) {
        if (i >= n || name[i] != (uint8_t)m[i]) {
            return 0;
        }
    }
    return n > 6 && (name[6] == 0 || name[6] == '@');
}

// Xen hands a guest a tree of at most 2 MiB (as Linux's MAX_FDT_SIZE).
#define FDT_MAX_SIZE    (2u << 20)
#define FDT_HEADER_SIZE 40   // through size_dt_struct (version 17)
#define ALIGN4(x)       (((x) + 3) & ~(uint32_t)3)

// /chosen/bootargs -> arm64_cmdline_buf (empty if absent) and /memory's
// reg -> arm64_ram_bank. A tiny walk of the flattened tree's structure
// block: no libfdt, no allocation. The tree is not trusted: every offset
// and length in it is checked against the block it points into before
// anything there is read (positions are offsets, so nothing can wrap), and
// a tree that breaks a bound ends the walk with what was read so far.
void arm64_early_fdt(const uint8_t *fdt) {
    arm64_cmdline_buf[0] = 0;
    arm64_ram_banks = 0;
    if (!fdt || be32(fdt) != FDT_MAGIC) {
        return;
    }
    uint32_t total = be32(fdt + 4);
    uint32_t off_struct = be32(fdt + 8), off_strings = be32(fdt + 12);
    uint32_t version = be32(fdt + 20);
    uint32_t size_strings = be32(fdt + 32);
    if (total < FDT_HEADER_SIZE || total > FDT_MAX_SIZE
        || off_struct > total || off_strings > total || size_strings > total - off_strings) {
        return;
    }
    // size_dt_struct since version 17 (what Xen and QEMU write); before,
    // the rest of the tree
    uint32_t size_struct = version >= 17 ? be32(fdt + 36) : total - off_struct;
    if (size_struct > total - off_struct) {
        return;
    }
    const uint8_t *sb = fdt + off_struct;       // the structure block, size_struct bytes
    const uint8_t *strings = fdt + off_strings; // the strings block, size_strings bytes
    uint32_t pos = 0;                           // in the structure block
    uint32_t addr_cells = 2, size_cells = 1;   // the spec's defaults at the root
    int depth = 0;
    int in_chosen = 0, in_memory = 0;
    while (pos <= size_struct && size_struct - pos >= 4) {   // pos may be aligned past the end
        uint32_t tok = be32(sb + pos);
        pos += 4;
        if (tok == FDT_BEGIN_NODE) {
            const uint8_t *name = sb + pos;
            uint32_t room = size_struct - pos, n = 0;
            while (n < room && name[n]) {
                n++;
            }
            if (n == room) {
                return;   // a name without its NUL
            }
            pos = ALIGN4(pos + n + 1);
            depth++;
            in_chosen = depth == 2 && str_eq(name, room, "chosen");
            in_memory = depth == 2 && is_memory_node(name, room);
        } else if (tok == FDT_END_NODE) {
            depth--;
            in_chosen = in_memory = 0;
        } else if (tok == FDT_PROP) {
            if (size_struct - pos < 8) {
                return;
            }
            uint32_t len = be32(sb + pos);
            uint32_t nameoff = be32(sb + pos + 4);
            pos += 8;
            if (len > size_struct - pos) {
                return;   // a value past the structure block
            }
            const uint8_t *val = sb + pos;
            pos = ALIGN4(pos + len);   // <= size_struct + 3: no wrap
            if (nameoff >= size_strings) {
                continue;   // a name outside the strings block: not ours
            }
            const uint8_t *pname = strings + nameoff;
            size_t pname_room = size_strings - nameoff;   // str_eq reads no further
            if (depth == 1 && len == 4 && str_eq(pname, pname_room, "#address-cells")) {
                addr_cells = be32(val);
            } else if (depth == 1 && len == 4 && str_eq(pname, pname_room, "#size-cells")) {
                size_cells = be32(val);
            } else if (in_chosen && str_eq(pname, pname_room, "bootargs")) {
                size_t n = 0;
                while (n < len && n < ARM64_CMDLINE_MAX - 1 && val[n]) {
                    arm64_cmdline_buf[n] = val[n];
                    n++;
                }
                arm64_cmdline_buf[n] = 0;
            } else if (in_memory && str_eq(pname, pname_room, "reg") && addr_cells <= 2 && size_cells <= 2) {
                // whole (address, size) pairs within the property's len
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
