// MicroPython's HAL: stdout is the Xen console.
#include <stddef.h>
#include <stdint.h>
#include "py/mpconfig.h"
#include "py/mphal.h"
#include "console.h"
#include "clock.h"

mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    console_write(str, len);
    return len;
}

// Nothing reads the console yet: block for good rather than spin.
int mp_hal_stdin_rx_chr(void) {
    for (;;) {
        clock_sleep_until(UINT64_MAX);
    }
}
