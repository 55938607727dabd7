// xen.repl(namespace): MicroPython's friendly REPL on the console, input
// from console_input.c. Runs until the user types Ctrl-D on an empty line,
// then returns True; False at once if the domain has no console input.
// xen.repl(None) only says whether there is console input.
#include "py/runtime.h"
#include "shared/readline/readline.h"
#include "shared/runtime/pyexec.h"

#include "console.h"
#include "console_input.h"

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
    pyexec_mode_kind = PYEXEC_MODE_FRIENDLY_REPL;
    for (;;) {
        int ret = pyexec_mode_kind == PYEXEC_MODE_RAW_REPL ? pyexec_raw_repl() : pyexec_friendly_repl();
        if (ret & PYEXEC_FORCED_EXIT) {
            break;
        }
    }
    mp_globals_set(old_globals);
    mp_locals_set(old_locals);
    console_flush();
    return mp_const_true;
}
MP_DEFINE_CONST_FUN_OBJ_1(xen_repl_obj, xen_repl);
