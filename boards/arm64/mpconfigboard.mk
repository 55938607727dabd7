# SPDX-License-Identifier: MIT
# arm64: one Image (Linux arm64 header) for dom0 and for dom0less domUs.
ARCH = arm64
# The heap: the domain's free memory after the image (see boards/x86_64).
HEAP_MIN = 262144
HEAP_MAX = 8388608
STACK_SIZE = 65536
