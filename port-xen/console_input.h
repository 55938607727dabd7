// SPDX-License-Identifier: MIT
#ifndef STUBMON_CONSOLE_INPUT_H
#define STUBMON_CONSOLE_INPUT_H
#include <stdbool.h>
// Where console input comes from: CONSOLE_XEN (dom0: Xen's serial input,
// VIRQ_CONSOLE + CONSOLEIO_read), CONSOLE_RING (a domU's PV console ring),
// or 0 when there is none. Chosen (and the event bound) on first use.
unsigned int console_input_source(void);
// The next input byte, blocking (SCHEDOP_poll) until one comes; -1 if
// this domain has no console input at all. While it waits it kicks the
// watchdog (if armed) at least every half timeout.
int console_getc(void);
// Never blocks: takes whatever input has arrived into the buffer
// console_getc reads. True if the byte `intr` was among it; that byte and
// what was typed before it are dropped (as a terminal's interrupt does).
// Cheap when nothing arrived (a pending bit or two ring indexes).
bool console_input_take(int intr);
#endif
