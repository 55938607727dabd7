# SPDX-License-Identifier: MIT
# x86_64: one image that boots as a PV or a PVH guest (dom0, or a domU from xl).
ARCH = x86_64
# The heap is the domain's free memory after the image (port-xen/main.c),
# at least HEAP_MIN (the monitor at a few domains, with room to collect)
# and at most HEAP_MAX (1000 domains keep about 400 KiB live).
HEAP_MIN = 262144
HEAP_MAX = 8388608
STACK_SIZE = 65536

# How Xen boots it under QEMU (tools/boards/x86_64.py reads these): as dom0,
# PV or PVH (BOOT_MODES), with DOM0_MEM_MIB; Debian's Xen releases (more come
# from ../shared/xen).
XEN_DEBIAN = 4.17 4.20
BOOT_MODES = pv pvh
DOM0_MEM_MIB = 64
QEMU_MACHINE = pc,accel=tcg
QEMU_SMP = 1
QEMU_MEM_MIB = 512
