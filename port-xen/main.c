// SPDX-License-Identifier: MIT
// Start MicroPython and run the frozen monitor (monitor/main.py).
#include <string.h>

#include "py/builtin.h"
#include "py/compile.h"
#include "py/gc.h"
#include "py/mperrno.h"
#include "py/runtime.h"
#include "py/stackctrl.h"
#include "shared/runtime/gchelper.h"

#include "arch.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"
#include "shutdown.h"

void modxen_init(void);

__attribute__((noreturn)) static void crash(const char *why) {
    console_write(why, strlen(why));
    domain_shutdown(SHUTDOWN_crash);
}

// The heap is the free RAM after the image (arch_free_ram), up to
// STUBMON_HEAP_MAX: a bigger heap only makes each collection sweep longer.
// Below STUBMON_HEAP_MIN the monitor cannot run: say so in one line, with
// how much memory would do, and crash (on_crash=preserve keeps it).
// heap=N[K|M] on the command line: at most that much, not below the floor
// (options.py checks the word and reports a bad one; here a bad one is
// just not used).
static size_t heap_option(const char *line) {
    for (const char *p = line; *p; p++) {
        if ((p == line || p[-1] == ' ') && !strncmp(p, "heap=", 5)) {
            size_t n = 0;
            const char *q = p + 5;
            while (*q >= '0' && *q <= '9' && n < ((size_t)1 << 40)) {
                n = n * 10 + (size_t)(*q++ - '0');
            }
            size_t unit = *q == 'K' ? 1024 : *q == 'M' ? 1024 * 1024 : 0;
            return q > p + 5 && unit && (q[1] == ' ' || !q[1]) ? n * unit : 0;
        }
    }
    return 0;
}

static void heap_init(void) {
    struct arch_free_ram ram;
    arch_free_ram(&ram);
    uintptr_t start = (ram.start + 15) & ~(uintptr_t)15, end = ram.end & ~(uintptr_t)15;
    size_t size = end > start ? end - start : 0;
    if (size > STUBMON_HEAP_MAX) {
        size = STUBMON_HEAP_MAX;
    }
    size_t asked = heap_option(arch_cmdline);
    if (asked && asked < STUBMON_HEAP_MIN) {
        mp_printf(&mp_plat_print, "boot: heap=%uK is below the %u KiB the monitor needs; using %u KiB\n",
            (unsigned)(asked / 1024), (unsigned)(STUBMON_HEAP_MIN / 1024), (unsigned)(STUBMON_HEAP_MIN / 1024));
        asked = STUBMON_HEAP_MIN;
    }
    if (asked && asked < size) {
        size = asked;
    }
    // The first line, before console_init(): it goes out the early way
    // (console.c), as a boot error would. Not "stubmon: ...", which the
    // monitor's own lines start with.
    mp_printf(&mp_plat_print, "boot: stubmon %s, heap %u KiB of the domain's %u KiB, stack %u KiB\n",
        arch_platform, (unsigned)(size / 1024), (unsigned)ram.domain_kib,
        (unsigned)(STUBMON_STACK_SIZE / 1024));
    if (size < STUBMON_HEAP_MIN) {
        unsigned short_kib = (unsigned)((STUBMON_HEAP_MIN - size + 1023) / 1024);
        mp_printf(&mp_plat_print, "boot: domain too small: %u KiB free after the image (bounded by %s), "
            "the heap needs at least %u KiB: give the domain %u MiB more\n",
            (unsigned)(size / 1024), ram.where, (unsigned)(STUBMON_HEAP_MIN / 1024), (short_kib + 1023) / 1024);
        crash("stubmon: crashing the domain\n");
    }
    gc_init((void *)start, (void *)(start + size));
}

__attribute__((noreturn)) void stubmon_main(void) {
    heap_init();
    clock_init();
    console_init();
    modxen_init();
    mp_stack_ctrl_init();
    mp_stack_set_limit(STUBMON_STACK_SIZE - 4096);
    mp_init();

    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        // main.py ends the domain itself; returning here is an error.
        mp_import_name(MP_QSTR_main, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
        nlr_pop();
        crash("stubmon: main.py returned without shutting down; crashing the domain\n");
    }
    mp_printf(&mp_plat_print, "stubmon: main.py failed: ");
    mp_obj_print_exception(&mp_plat_print, MP_OBJ_FROM_PTR(nlr.ret_val));
    crash("stubmon: crashing the domain\n");
}

void gc_collect(void) {
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

void nlr_jump_fail(void *val) {
    (void)val;
    crash("stubmon: fatal: uncaught exception outside Python\n");
}

void abort(void) {
    crash("stubmon: fatal: abort\n");
}

#ifndef NDEBUG
void stubmon_assert_fail(const char *expr, const char *file, int line) {
    mp_printf(&mp_plat_print, "stubmon: assertion %s failed at %s:%d\n", expr, file, line);
    crash("");
}
#endif

// Only frozen modules exist: there is no file system.
mp_lexer_t *mp_lexer_new_from_file(qstr filename) {
    mp_raise_OSError(MP_ENOENT);
}

mp_import_stat_t mp_import_stat(const char *path) {
    return MP_IMPORT_STAT_NO_EXIST;
}

mp_obj_t mp_builtin_open(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    mp_raise_OSError(MP_ENOENT);
}
MP_DEFINE_CONST_FUN_OBJ_KW(mp_builtin_open_obj, 1, mp_builtin_open);
