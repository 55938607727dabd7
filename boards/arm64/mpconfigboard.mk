# SPDX-License-Identifier: MIT
# arm64: one Image (Linux arm64 header) for dom0 and for dom0less domUs.
ARCH = arm64
# The monitor's peak heap is about 16 KiB a poll; the guest role far less.
HEAP_SIZE = 524288
STACK_SIZE = 65536
