/* SPDX-License-Identifier: MIT */
/*
 * x86_64 PV boot head. Xen reads the ELF notes below to load us (the same
 * ELF also carries head_pvh.S's PHYS32_ENTRY note), fills hypercall_page,
 * and enters _start_pv in 64-bit mode (ring 3) with %rsi = start_info and
 * paging already on. There are no interrupts to
 * handle: stubmon never unmasks event upcalls, it only polls.
 */
#include <xen/elfnote.h>

#include "elfnote.h"

ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz, "stubmon")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz, "0.1")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz, "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER, .asciz, "generic")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE, .quad, 0)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET, .quad, 0)
ELFNOTE(XEN_ELFNOTE_ENTRY, .quad, _start_pv)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad, hypercall_page)
ELFNOTE(XEN_ELFNOTE_FEATURES, .asciz, "!writable_page_tables")

    .section .text.head, "ax", @progbits
    .globl _start_pv
_start_pv:
    cld
    lea     boot_stack_top(%rip), %rsp
    mov     %rsi, %rdi              /* start_info */
    call    pv_start
1:  hlt                             /* pv_start never returns */
    jmp     1b

    /* The one stack, for both boot heads. */
    .section .bss.stack, "aw", @nobits
    .balign 16
    .globl boot_stack_top
boot_stack:
    .skip STUBMON_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
