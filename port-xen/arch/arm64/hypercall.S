/*
 * The one way into the hypervisor: xen_hypercall(nr, a1, a2, a3, a4, a5)
 * (hypercall.h). Arguments arrive in the C calling convention and are
 * moved to the registers Xen's hypercall ABI uses on this architecture.
 */
/*
 * arm64: `hvc #0xEA1` (XEN_HYPERCALL_TAG), number in x16, arguments in
 * x0..x4, result in x0. Xen may clobber x1..x4 (all caller-saved).
 */
    .text
    .globl xen_hypercall
    .type xen_hypercall, %function
xen_hypercall:
    mov     x16, x0
    mov     x0, x1
    mov     x1, x2
    mov     x2, x3
    mov     x3, x4
    mov     x4, x5
    hvc     #0xEA1
    ret
    .size xen_hypercall, . -xen_hypercall

    .section .note.GNU-stack, "", %progbits
