// SPDX-License-Identifier: MIT
// MicroPython's HAL: stdout is the Xen console, time is Xen system time,
// sleeping blocks the vCPU (SCHEDOP_poll).
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "py/mpconfig.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "bootstamp.h"
#include "clock.h"
#include "console.h"
#include "console_input.h"
#include "watchdog.h"

int repl_rx_chr(void);

mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    console_write(str, len);
    #if STUBMON_TEST_HOOKS
    // The boot stamp of the first line (bootstamp.h, make bench): console_write
    // has sent a line once it was given its newline.
    if (!stubmon_first_line_ns && memchr(str, '\n', len)) {
        stubmon_first_line_ns = clock_now_ns();
    }
    #endif
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

// The time module's clocks (extmod/modtime.c): Xen system time, ns since
// the hypervisor booted, the clock xen.time_ns() reads too.
uint64_t mp_hal_time_ns(void) {
    return clock_now_ns();
}

mp_uint_t mp_hal_ticks_ms(void) {
    return clock_now_ns() / 1000000;
}

mp_uint_t mp_hal_ticks_us(void) {
    return clock_now_ns() / 1000;
}

mp_uint_t mp_hal_ticks_cpu(void) {
    return clock_now_ns();
}

#define MS_NS 1000000ULL
// While a REPL statement sleeps, Ctrl-C is looked for this often (the
// sleep does not wake for console input).
#define INTR_CHECK_NS (100 * MS_NS)
// Wakes in a row that end before their deadline (Xen ended the poll early,
// or its clock is ahead of ours) after which a sleep stops: never a spin.
#define EARLY_WAKES_MAX 16

// time.sleep*(): blocks through clock_sleep_until(deadline, false), domain
// events left pending for the monitor's own sleeps. A sleep longer than
// half the watchdog timeout wakes at each half to kick it, as the REPL's
// wait for input does.
static void delay_ns(uint64_t ns) {
    uint64_t now = clock_now_ns();
    uint64_t deadline = now + ns;
    unsigned int early = 0;
    while (now < deadline) {
        uint64_t until = deadline;
        uint64_t half_wd = (uint64_t)watchdog_timeout_s() * 500 * MS_NS;
        bool kick = half_wd && until - now > half_wd;
        if (kick) {
            until = now + half_wd;
        }
        if (mp_interrupt_char >= 0 && until - now > INTR_CHECK_NS) {
            until = now + INTR_CHECK_NS;
        }
        clock_sleep_until(until, false);
        if (kick) {
            watchdog_kick();
        }
        if (mp_interrupt_char >= 0 && console_input_take(mp_interrupt_char)) {
            mp_sched_keyboard_interrupt();
        }
        mp_handle_pending(true);   // raises KeyboardInterrupt
        now = clock_now_ns();
        if (now >= until) {
            early = 0;
        } else if (++early > EARLY_WAKES_MAX) {
            break;
        }
    }
}

void mp_hal_delay_ms(mp_uint_t ms) {
    delay_ns((uint64_t)ms * MS_NS);
}

void mp_hal_delay_us(mp_uint_t us) {
    delay_ns((uint64_t)us * 1000);
}
