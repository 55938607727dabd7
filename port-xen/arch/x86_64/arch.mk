# x86_64: one image, two ways in. PV enters head_pv.S in long mode; PVH
# enters head_pvh.S in 32-bit mode. Everything after the heads is shared.
CROSS_COMPILE ?=
# xen.arch, and the layouts tools/xenabi generates for it.
ARCH_NAME = x86_64
ARCH_CFLAGS = -m64 -mno-red-zone -mgeneral-regs-only -mcmodel=small
ARCH_LDSCRIPT = arch/x86_64/link.ld
ARCH_SRC_C = arch/x86_64/x86.c arch/x86_64/pv.c arch/x86_64/pvh.c arch/x86_64/pvclock.c
ARCH_SRC_S = arch/x86_64/head_pv.S arch/x86_64/head_pvh.S arch/x86_64/hypercall.S
