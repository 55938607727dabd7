# x86_64 (PV; PVH later shares everything but its boot head).
CROSS_COMPILE ?=
ARCH_CFLAGS = -m64 -mno-red-zone -mgeneral-regs-only -mcmodel=small
ARCH_LDSCRIPT = arch/x86_64/link.ld
ARCH_SRC_C = arch/x86_64/pv.c arch/x86_64/pvclock.c
ARCH_SRC_S = arch/x86_64/head_pv.S


