// MicroPython's HAL: stdout is the Xen console.
#include <stddef.h>
#include <stdint.h>
#include "py/mpconfig.h"
#include "py/mphal.h"
#include "console.h"
#include "console_input.h"

mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    console_write(str, len);
    return len;
}

// Console input (the REPL, repl=1): blocks in SCHEDOP_poll until a byte
// comes. A domain with no console input reads Ctrl-D: the REPL ends.
int mp_hal_stdin_rx_chr(void) {
    int c = console_getc();
    return c < 0 ? 4 : c;
}
