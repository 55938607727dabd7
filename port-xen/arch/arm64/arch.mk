# arm64: a raw Image with the Linux arm64 header (build/arm64/stubmon.bin)
# plus the ELF. Linked at a fixed virtual address; the boot head maps it to
# wherever Xen loaded it (dom0: host RAM; dom0less domU: 0x40000000).
CROSS_COMPILE ?= aarch64-linux-gnu-
# xen.arch, and the layouts tools/xenabi generates for it.
ARCH_NAME = aarch64
# No floats in the image: general registers only (FP/SIMD is still enabled
# at boot). -mstrict-align: the early boot code runs with the MMU off.
ARCH_CFLAGS = -mgeneral-regs-only -mstrict-align -mno-outline-atomics -mcmodel=small
ARCH_LDSCRIPT = arch/arm64/link.ld
ARCH_SRC_C = arch/arm64/arm64.c arch/arm64/early.c arch/arm64/timer.c
ARCH_SRC_S = arch/arm64/head.S arch/arm64/hypercall.S
# The raw Image QEMU's guest-loader and Xen's dom0less loader take.
ARCH_IMAGE_BIN = 1
