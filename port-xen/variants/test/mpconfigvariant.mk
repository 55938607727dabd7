# SPDX-License-Identifier: MIT
# The test image (make run, make test, make bench): the test hooks of
# monitor/stubmon/testopts.py frozen in, and in C what only they call:
# xen.qemu_exit (QEMU's isa-debug-exit; a PV image asks for I/O privilege
# then) and make bench's timers xen.list_raw and xen.boot_ns.
BUILD_SUFFIX = -test
CFLAGS_VARIANT = -DSTUBMON_TEST_HOOKS=1
SRC_C_VARIANT = modxen_bench.c modxen_test.c
