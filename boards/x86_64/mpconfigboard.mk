# SPDX-License-Identifier: MIT
# x86_64: one image that boots as a PV or a PVH guest (dom0, or a domU from xl).
ARCH = x86_64
# The heap is the domain's free memory after the image (port-xen/main.c),
# at least HEAP_MIN (the monitor at a few domains, with room to collect)
# and at most HEAP_MAX (1000 domains keep about 400 KiB live).
HEAP_MIN = 262144
HEAP_MAX = 8388608
STACK_SIZE = 65536
