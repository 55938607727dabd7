/*
 * The one way into the hypervisor: xen_hypercall(nr, a1, a2, a3, a4, a5)
 * (hypercall.h). Arguments arrive in the C calling convention and are
 * moved to the registers Xen's hypercall ABI uses on this architecture.
 */
/*
 * x86_64: Xen fills `hypercall_page` (named by an ELF note for PV, through
 * an MSR for PVH) with one 32-byte stub per hypercall. ABI: number picks
 * the stub, arguments in rdi, rsi, rdx, r10, r8; result in rax. Xen may
 * clobber rcx and r11 (syscall-style), both caller-saved here anyway.
 */
    .text
    .globl xen_hypercall
    .type xen_hypercall, @function
xen_hypercall:
    shl     $5, %rdi
    lea     hypercall_page(%rip), %rax
    add     %rdi, %rax
    mov     %rsi, %rdi
    mov     %rdx, %rsi
    mov     %rcx, %rdx
    mov     %r8, %r10
    mov     %r9, %r8
    jmp     *%rax            /* the stub's ret returns to our caller */
    .size xen_hypercall, . -xen_hypercall

    .section .text.hypercall_page, "ax", @progbits
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc      /* int3 until Xen writes the stubs */
    .size hypercall_page, 4096

    .section .note.GNU-stack, "", @progbits
