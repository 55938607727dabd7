# SPDX-License-Identifier: MIT
# arm64: one Image (Linux arm64 header) for dom0 and for dom0less domUs.
ARCH = arm64
# The heap: the domain's free memory after the image (see boards/x86_64).
HEAP_MIN = 262144
HEAP_MAX = 8388608
STACK_SIZE = 65536

# How Xen boots it under QEMU (tools/boards/arm64.py reads these): dom0 next
# to dom0less domUs, or alone (BOOT_MODES); the loader takes the raw Image.
XEN_DEBIAN = 4.17 4.20
BOOT_MODES = dom0less dom0
DOM0_MEM_MIB = 128
IMAGE = stubmon.bin
QEMU_MACHINE = virt,virtualization=on,gic-version=3
QEMU_CPU = cortex-a57
QEMU_SMP = 2
QEMU_MEM_MIB = 1024
