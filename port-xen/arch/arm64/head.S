/* SPDX-License-Identifier: MIT */
/*
 * arm64 boot head. Xen enters _start at EL1 with the MMU and D-cache off,
 * x0 = the device tree's physical address, anywhere in RAM (dom0 sits in
 * host RAM, dom0less domUs at 0x40000000). Until the MMU is on, only
 * PC-relative addressing is used. Steps:
 *   1. FP/SIMD on (gcc may use it for copies even in integer code),
 *   2. /chosen/bootargs and /memory read out of the device tree (early.c), before
 *      bss is touched: Xen places the tree right after the Image file,
 *      which is inside our bss,
 *   3. bss cleared, page tables built (early.c): RAM identity mapped with
 *      1 GiB blocks, the link address (0x40_0000_0000) onto the load address,
 *   4. MMU on, jump to the link address, real stack, arm64_start().
 */
#define CPACR_FPEN          (3 << 20)
#define SCTLR_M             (1 << 0)
#define SCTLR_A             (1 << 1)
#define SCTLR_C             (1 << 2)
#define SCTLR_I             (1 << 12)
#define SCTLR_WXN           (1 << 19)
/* MAIR: attr0 normal write-back, attr1 device nGnRnE */
#define MAIR_VALUE          0xff
/* TCR: 39-bit VA (T0SZ 25, walks start at level 1), 4 KiB granule, inner
   shareable write-back walks, TTBR1 walks disabled; IPS added at run time */
#define TCR_VALUE           (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))

    .section .text.head, "ax", %progbits
    .globl _start
_start:
    /* Linux arm64 Image header (Documentation/arch/arm64/booting.rst) */
    b       primary             /* code0 */
    .long   0                   /* code1 */
    .quad   0                   /* text_offset */
    .quad   _image_size         /* image_size: bss and stack included */
    .quad   0xa                 /* flags: little endian, 4 KiB pages, anywhere */
    .quad   0, 0, 0             /* res2..res4 */
    .ascii  "ARM\x64"           /* magic */
    .long   0                   /* res5: no PE header */

primary:
    mrs     x22, cntvct_el0     /* the entry boot stamp (bootstamp.h) */
    mov     x19, x0             /* device tree (physical) */
    adr     x20, _start         /* where Xen put us (physical) */

    mov     x1, #CPACR_FPEN
    msr     cpacr_el1, x1
    isb

    adrp    x1, early_stack_top
    add     x1, x1, :lo12:early_stack_top
    mov     sp, x1

    mov     x0, x19
    bl      arm64_early_fdt

    /* clear bss (16-byte aligned both ends) */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:
    /* The MMU was off: drop any stale cache lines over bss so the first
       cacheable reads see what was just written to memory. */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4     /* DminLine: log2(words) */
    mov     x4, #4
    lsl     x3, x4, x3          /* line size in bytes */
3:  cmp     x1, x2
    b.hs    4f
    dc      ivac, x1
    add     x1, x1, x3
    b       3b
4:  dsb     sy

    mov     x0, x20
    bl      arm64_build_tables  /* returns the level-1 table's physical address */
    mov     x21, x0

    ldr     x1, =MAIR_VALUE
    msr     mair_el1, x1
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #7          /* PARange */
    cmp     x2, #5
    mov     x3, #5
    csel    x2, x2, x3, ls
    ldr     x1, =TCR_VALUE
    orr     x1, x1, x2, lsl #32 /* IPS */
    msr     tcr_el1, x1
    msr     ttbr0_el1, x21
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    mrs     x1, sctlr_el1
    orr     x1, x1, #SCTLR_M
    orr     x1, x1, #SCTLR_C
    orr     x1, x1, #SCTLR_I
    bic     x1, x1, #SCTLR_A
    bic     x1, x1, #SCTLR_WXN
    msr     sctlr_el1, x1
    isb
    ic      iallu
    dsb     nsh
    isb

    ldr     x1, =virt_entry     /* an absolute (link) address */
    br      x1

virt_entry:
    ldr     x1, =boot_stack_top
    mov     sp, x1
    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x20
    mov     x1, x22
    bl      arm64_start
5:  wfi                         /* arm64_start never returns */
    b       5b
    .ltorg

/*
 * Further vCPUs (PSCI CPU_ON from arm64.c) enter here, MMU off, and only
 * wait: wfi traps to Xen, which blocks the vCPU; nothing ever wakes it.
 */
    .globl arm64_secondary_park
arm64_secondary_park:
    msr     daifset, #0xf
7:  wfi
    b       7b

/*
 * Exception vectors: stubmon takes no interrupts (event channels are
 * polled, never delivered), so any exception is a bug: report it and
 * crash the domain (arm64_trap does both).
 */
    .macro vec kind
    .balign 0x80
    mov     x0, #\kind
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       trap_common
    .endm

    .text
    .balign 0x800
vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15
trap_common:
    ldr     x4, =trap_stack_top
    mov     sp, x4
    bl      arm64_trap
6:  wfi
    b       6b
    .ltorg

    /* Used before bss is cleared: must be in the file, not in bss. */
    .data
    .balign 16
early_stack:
    .skip   4096
early_stack_top:

    .section .bss.stack, "aw", %nobits
    .balign 16
boot_stack:
    .skip   STUBMON_STACK_SIZE
    .globl boot_stack_top
boot_stack_top:
trap_stack:
    .skip   4096
trap_stack_top:

    .section .note.GNU-stack, "", %progbits
