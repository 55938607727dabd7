# x86_64 PV guest: the image Xen boots as dom0 (or xl as a domU).
ARCH = x86_64
# The monitor's peak heap is about 16 KiB a poll; 1000 domains need more.
HEAP_SIZE = 1048576
STACK_SIZE = 65536
