/* SPDX-License-Identifier: MIT */
/*
 * x86_64 PVH boot head. Xen enters _start_pvh (named by the PHYS32_ENTRY
 * note) in 32-bit protected mode, paging off, %ebx = physical address of
 * struct hvm_start_info. We build identity page tables for the low 4 GiB,
 * enter long mode, enable SSE as the C code may use it, and call pvh_start.
 * The image is linked at its physical address (1 MiB), so no relocation.
 */
#include <xen/elfnote.h>
#include "elfnote.h"

#define CR0_PE      (1 << 0)
#define CR0_MP      (1 << 1)
#define CR0_EM      (1 << 2)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define CR4_OSFXSR  (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER    0xc0000080
#define EFER_LME    (1 << 8)
#define PTE_P_RW    0x3
#define PTE_PSE     0x80

ELFNOTE(XEN_ELFNOTE_PHYS32_ENTRY, .long, _start_pvh)

    .section .text.head, "ax", @progbits
    .code32
    .globl _start_pvh
_start_pvh:
    cld
    cli
    mov     %ebx, %esi                  /* hvm_start_info, kept for C */
    lgdt    gdt_desc
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss

    /* The tables live in bss (zeroed by Xen's ELF loader), not in the
     * file: 8 KiB of zeros off the image. PML4[0] -> the PDPT, whose 4
     * entries -> 4 page directories of 2 MiB pages: the low 4 GiB,
     * identity. Every high half stays 0: all of it is below 4 GiB. */
    movl    $(pvh_pdpt + PTE_P_RW), pvh_pml4
    mov     $pvh_pdpt, %edi
    mov     $(pvh_pd + PTE_P_RW), %eax
    mov     $4, %ecx
3:  mov     %eax, (%edi)
    add     $0x1000, %eax
    add     $8, %edi
    loop    3b

    mov     $pvh_pd, %edi
    mov     $(PTE_P_RW | PTE_PSE), %eax
    xor     %edx, %edx
    mov     $2048, %ecx
1:  mov     %eax, (%edi)
    mov     %edx, 4(%edi)
    add     $0x200000, %eax
    adc     $0, %edx
    add     $8, %edi
    loop    1b

    mov     %cr4, %eax
    or      $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov     %eax, %cr4
    mov     $pvh_pml4, %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $EFER_LME, %eax
    wrmsr
    mov     %cr0, %eax
    and     $~CR0_EM, %eax
    or      $(CR0_PE | CR0_MP | CR0_PG), %eax
    mov     %eax, %cr0
    ljmp    $0x08, $long_mode

    .code64
long_mode:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    lea     boot_stack_top(%rip), %rsp
    mov     %esi, %edi                  /* zero-extends */
    call    pvh_start
2:  hlt
    jmp     2b

    .section .rodata
    .balign 8
gdt:
    .quad 0                             /* null */
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: flat data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
pvh_pml4:
    .skip 4096
pvh_pdpt:
    .skip 4096
pvh_pd:
    .skip 4 * 4096

    .section .note.GNU-stack, "", @progbits
