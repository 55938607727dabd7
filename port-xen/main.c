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

static char heap[MICROPY_HEAP_SIZE] __attribute__((aligned(16)));

__attribute__((noreturn)) static void crash(const char *why) {
    console_write(why, strlen(why));
    domain_shutdown(SHUTDOWN_crash);
}

__attribute__((noreturn)) void stubmon_main(void) {
    // The first line, before console_init(): it goes out the early way
    // (console.c), as a boot error would. Not "stubmon: ...", which the
    // monitor's own lines start with.
    mp_printf(&mp_plat_print, "boot: stubmon %s, heap %u KiB, stack %u KiB\n", arch_platform,
        (unsigned)(MICROPY_HEAP_SIZE / 1024), (unsigned)(STUBMON_STACK_SIZE / 1024));
    clock_init();
    console_init();
    modxen_init();
    mp_stack_ctrl_init();
    mp_stack_set_limit(STUBMON_STACK_SIZE - 4096);
    gc_init(heap, heap + sizeof(heap));
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
