# SPDX-License-Identifier: MIT
# x86_64: one image that boots as a PV or a PVH guest (dom0, or a domU from xl).
ARCH = x86_64
# The monitor's peak heap is about 16 KiB a poll; 1000 domains need more.
HEAP_SIZE = 1048576
STACK_SIZE = 65536
