// SPDX-License-Identifier: MIT
// xen.repl(namespace): MicroPython's friendly REPL on the console, input
// from console_input.c. Runs until the user types Ctrl-D on an empty line,
// then returns True; False at once if the domain has no console input.
// xen.repl(None) only says whether there is console input.
// Ctrl-A enters MicroPython's raw REPL (pyboard.py, run-tests.py), Ctrl-B
// leaves it; Ctrl-D there (or SystemExit) is a soft reset, see soft_reset().
// Ctrl-C interrupts a running statement (mphalport.c); an input line is
// bounded (REPL_LINE_MAX); each line kicks the watchdog, as does waiting.
#include "py/gc.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "shared/readline/readline.h"
#include "shared/runtime/pyexec.h"

#include "console.h"
#include "console_input.h"
#include "watchdog.h"

// Characters one input line may hold; what is typed past it is dropped
// (readline's line would otherwise grow until the heap is gone).
#define REPL_LINE_MAX 512

static vstr_t *rl_line;           // readline's line while it reads one
static size_t rl_start;           // where this input line starts in it
static unsigned long rl_dropped;  // characters dropped from this line
static int rl_esc;                // 0, 1 after ESC, 2 inside ESC [ / ESC O

// The linker sends every readline() call here (--wrap=readline, Makefile).
int __real_readline(vstr_t *line, const char *prompt);
int __wrap_readline(vstr_t *line, const char *prompt) {
    watchdog_kick();
    rl_line = line;
    rl_start = vstr_len(line);
    rl_dropped = 0;
    rl_esc = 0;
    int ret = __real_readline(line, prompt);
    rl_line = NULL;
    if (rl_dropped) {
        mp_printf(&mp_plat_print, "stubmon: repl: input line longer than %d characters: "
            "%lu more dropped\n", REPL_LINE_MAX, rl_dropped);
    }
    watchdog_kick();
    return ret;
}

// The next input byte for MicroPython (mp_hal_stdin_rx_chr): inside
// readline, a printable byte past the bound is dropped; escape sequences
// (cursor keys) and control bytes (Enter, Ctrl-C) always pass.
int repl_rx_chr(void) {
    for (;;) {
        int c = console_getc();
        if (c < 0) {
            return 4;   // no console input at all: Ctrl-D ends the REPL
        }
        if (!rl_line) {
            return c;
        }
        if (rl_esc == 1) {
            rl_esc = (c == '[' || c == 'O') ? 2 : 0;
        } else if (rl_esc == 2) {
            rl_esc = c >= 0x40 ? 0 : 2;   // a final byte ends the sequence
        } else if (c == 27) {
            rl_esc = 1;
        } else if (c >= 32 && c <= 126 && vstr_len(rl_line) - rl_start >= REPL_LINE_MAX) {
            rl_dropped++;
            continue;
        }
        return c;
    }
}

// A soft reset inside the monitor. The REPL runs in the monitor's frames,
// so the VM cannot be torn down and started again as ports/qemu does
// (mp_deinit, gc_init, mp_init); what a statement can change that a soft
// reset would undo is put back instead: globals and sys.modules as they
// were when the REPL started, the compiler's optimisation level, the GC
// switched on with no threshold and the heap unlocked. State held in C
// (the console, the clock, the xen module) and the monitor's own modules
// stay, as they must.
static void soft_reset(mp_obj_t start_ns, mp_obj_t start_mods) {
    mp_hal_stdout_tx_str("MPY: soft reboot\r\n");
    // first, or a test that left the heap locked makes what follows fail
    MP_STATE_THREAD(gc_lock_depth) = 0;
    MP_STATE_MEM(gc_auto_collect_enabled) = 1;
    #if MICROPY_GC_ALLOC_THRESHOLD
    MP_STATE_MEM(gc_alloc_threshold) = (size_t)-1;
    MP_STATE_MEM(gc_alloc_amount) = 0;
    #endif
    MP_STATE_VM(mp_optimise_value) = 0;
    mp_map_t *mods = &MP_STATE_VM(mp_loaded_modules_dict).map;
    mp_map_t *keep = mp_obj_dict_get_map(start_mods);
    mp_map_clear(mods);
    for (size_t i = 0; i < keep->alloc; i++) {
        if (mp_map_slot_is_filled(keep, i)) {
            mp_map_lookup(mods, keep->table[i].key, MP_MAP_LOOKUP_ADD_IF_NOT_FOUND)->value = keep->table[i].value;
        }
    }
    mp_obj_dict_t *ns = MP_OBJ_TO_PTR(mp_obj_dict_copy(start_ns));
    mp_globals_set(ns);
    mp_locals_set(ns);
    gc_collect();   // what the last statement left goes now, not mid-test
    watchdog_kick();
}

static mp_obj_t xen_repl(mp_obj_t ns) {
    if (ns == mp_const_none) {
        return mp_obj_new_bool(console_input_source() != 0);
    }
    if (!mp_obj_is_type(ns, &mp_type_dict)) {
        mp_raise_TypeError(MP_ERROR_TEXT("repl wants a dict"));
    }
    if (!console_input_source()) {
        return mp_const_false;   // nothing to read from: no REPL here
    }
    static bool started;
    if (!started) {
        readline_init0();
        started = true;
    }
    // Statements run in `ns` (like __main__), not in the caller's module.
    mp_obj_dict_t *old_globals = mp_globals_get();
    mp_obj_dict_t *old_locals = mp_locals_get();
    mp_globals_set(MP_OBJ_TO_PTR(ns));
    mp_locals_set(MP_OBJ_TO_PTR(ns));
    // what a soft reset gives back (kept on this C stack: the GC sees them)
    mp_obj_t start_ns = mp_obj_dict_copy(ns);
    mp_obj_t start_mods = mp_obj_dict_copy(MP_OBJ_FROM_PTR(&MP_STATE_VM(mp_loaded_modules_dict)));
    pyexec_mode_kind = PYEXEC_MODE_FRIENDLY_REPL;
    for (;;) {
        int ret = pyexec_mode_kind == PYEXEC_MODE_RAW_REPL ? pyexec_raw_repl() : pyexec_friendly_repl();
        if (!(ret & PYEXEC_FORCED_EXIT)) {
            continue;
        }
        if (pyexec_mode_kind != PYEXEC_MODE_RAW_REPL) {
            break;   // Ctrl-D (or SystemExit) at the friendly REPL ends it
        }
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            soft_reset(start_ns, start_mods);
            nlr_pop();
        } else {
            // said, and the REPL goes on: losing the monitor would be worse
            mp_printf(&mp_plat_print, "stubmon: repl: soft reset failed: ");
            mp_obj_print_exception(&mp_plat_print, MP_OBJ_FROM_PTR(nlr.ret_val));
        }
    }
    mp_globals_set(old_globals);
    mp_locals_set(old_locals);
    console_flush();
    return mp_const_true;
}
MP_DEFINE_CONST_FUN_OBJ_1(xen_repl_obj, xen_repl);
