// MicroPython's HAL: stdout is the Xen console.
#include <stddef.h>
#include <stdint.h>
#include "py/mpconfig.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "console.h"
#include "console_input.h"

int repl_rx_chr(void);

mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    console_write(str, len);
    return len;
}

// Console input (the REPL, repl=1): blocks in SCHEDOP_poll until a byte
// comes (repl.c bounds the line). A domain with no console input reads
// Ctrl-D: the REPL ends.
int mp_hal_stdin_rx_chr(void) {
    return repl_rx_chr();
}

// MICROPY_VM_HOOK_POLL (mpconfigport.h): reached every
// STUBMON_VM_POLL_EVERY backward jumps, and only while a statement typed
// at the REPL runs (interrupt char set). Never blocks.
unsigned int stubmon_vm_countdown = STUBMON_VM_POLL_EVERY;

void stubmon_vm_poll(void) {
    stubmon_vm_countdown = STUBMON_VM_POLL_EVERY;
    if (mp_interrupt_char >= 0 && console_input_take(mp_interrupt_char)) {
        mp_sched_keyboard_interrupt();
    }
}
