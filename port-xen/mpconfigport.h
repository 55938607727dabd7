// SPDX-License-Identifier: MIT
// MicroPython configuration of the Xen guest port.
#include <stdint.h>

#define MICROPY_CONFIG_ROM_LEVEL            (MICROPY_CONFIG_ROM_LEVEL_BASIC_FEATURES)
// The VM's speed-ups the BASIC level leaves off (about 2.2 KB of text): a
// jump table for the bytecode dispatch, and cached attribute / map lookups,
// which the poll's record and option reads hit on every domain. Measured
// by make bench (the poll's time at 1 domain with quiet=1).
#define MICROPY_OPT_COMPUTED_GOTO           (1)
#define MICROPY_OPT_LOAD_ATTR_FAST_PATH     (1)
#define MICROPY_OPT_MAP_LOOKUP_CACHE        (1)

// Compiler kept: the REPL (repl=1, port-xen/repl.c) compiles what is typed.
#define MICROPY_ENABLE_COMPILER             (1)
#define MICROPY_ENABLE_GC                   (1)
#define MICROPY_HELPER_REPL                 (1)
#define MICROPY_REPL_AUTO_INDENT            (0)
#define MICROPY_REPL_EMACS_KEYS             (0)
// Ctrl-C at the REPL raises KeyboardInterrupt in the running statement.
// There are no interrupts: the VM looks for it itself, every
// STUBMON_VM_POLL_EVERY backward jumps or returns, and only while pyexec
// has set the interrupt char (never in the monitor's own loop, where the
// hook costs one load and compare).
#define MICROPY_KBD_EXCEPTION               (1)
#define STUBMON_VM_POLL_EVERY               (256)
extern int mp_interrupt_char;
extern unsigned int stubmon_vm_countdown;
void stubmon_vm_poll(void);
#define MICROPY_VM_HOOK_POLL \
    if (mp_interrupt_char >= 0 && --stubmon_vm_countdown == 0) { \
        stubmon_vm_poll(); \
    }
#define MICROPY_VM_HOOK_LOOP                MICROPY_VM_HOOK_POLL
#define MICROPY_VM_HOOK_RETURN              MICROPY_VM_HOOK_POLL
#define MICROPY_ENABLE_EXTERNAL_IMPORT      (1)
#define MICROPY_ALLOC_PATH_MAX              (128)
#define MICROPY_ERROR_REPORTING             (MICROPY_ERROR_REPORTING_NORMAL)
#define MICROPY_ENABLE_EMERGENCY_EXCEPTION_BUF (1)
#define MICROPY_EMERGENCY_EXCEPTION_BUF_SIZE (256)

// Domain cpu_time and memory figures are 64-bit: big ints must work.
// The digit size is pinned so frozen big constants match mpy-tool's.
#define MICROPY_LONGINT_IMPL                (MICROPY_LONGINT_IMPL_MPZ)
#define MPZ_DIG_SIZE                        (16)
// No floats: CPU% and seconds are computed in integer tenths.
#define MICROPY_FLOAT_IMPL                  (MICROPY_FLOAT_IMPL_NONE)

// Only what differs from the BASIC_FEATURES level is set here. The level
// already gives what the monitor relies on: struct, sys, gc, bytearray,
// array, collections (namedtuple), and io (json.loads reads through a
// StringIO; open() raises ENOENT: main.c); it leaves out os, machine,
// select, asyncio, uctypes, unicode strings.
#define MICROPY_PY_SYS_PLATFORM             "xen"
// micropython.mem_info() at the REPL (the heap is static); memoryview for
// scripts (views of buffers without copies).
#define MICROPY_PY_MICROPYTHON_MEM_INFO     (1)
#define MICROPY_PY_BUILTINS_MEMORYVIEW      (1)
// MicroPython's own modules in place of hand-written ones (extmod/ files
// listed in the Makefile): json, str.partition, zeroing a buffer by
// slice assignment, OrderedDict.
#define MICROPY_PY_JSON                     (1)
#define MICROPY_PY_BUILTINS_STR_PARTITION   (1)
#define MICROPY_PY_ARRAY_SLICE_ASSIGN       (1)
#define MICROPY_PY_COLLECTIONS_ORDEREDDICT  (1)
// time (on at this level, extmod/modtime.c): ticks_ms/us/cpu, ticks_diff,
// ticks_add, sleep, sleep_ms, sleep_us (integers: no floats) on the HAL
// (mphalport.c); plus time_ns() and time(), both since Xen booted (Xen
// system time has no epoch).
#define MICROPY_PY_TIME_TIME_TIME_NS        (1)
#define MICROPY_PY_TIME_INCLUDEFILE         "modtime_xen.c"

#define MICROPY_USE_INTERNAL_ERRNO          (1)
#define MICROPY_USE_INTERNAL_PRINTF         (1)
#define MICROPY_GCREGS_SETJMP               (0)

#define MICROPY_HW_BOARD_NAME               "xen"
#define MICROPY_HW_MCU_NAME                 STUBMON_BOARD

// Type definitions for a 64-bit guest.
#define MP_SSIZE_MAX                        (0x7fffffffffffffffL)
#define UINT_FMT                            "%lu"
#define INT_FMT                             "%ld"
typedef intptr_t mp_int_t;
typedef uintptr_t mp_uint_t;
typedef long mp_off_t;

#include <alloca.h>

#define MP_STATE_PORT MP_STATE_VM

// --- The raw REPL over Xen's serial console (run-tests.py, pyboard.py;
// see docs/micropython-suite.md). Xen buffers serial input for dom0 in a
// 128-byte ring and drops what does not fit. In raw-paste mode the host
// may send two flow-control windows of half this size ahead, then the
// end-of-data byte unasked: with 64 that is at most 65 bytes. The default
// 256 lost bytes of every larger script; 128 lost the end byte (seen on
// arm64: the raw paste never completed).
#define MICROPY_REPL_STDIN_BUFFER_MAX       (64)
// main.c sets a stack limit, but the check is off below the EXTRA feature
// level: unbounded recursion typed at the REPL (or a test's) ran over the
// 64 KiB stack and crashed the domain (#GP) instead of RuntimeError.
#define MICROPY_STACK_CHECK                 (1)
