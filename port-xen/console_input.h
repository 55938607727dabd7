#ifndef STUBMON_CONSOLE_INPUT_H
#define STUBMON_CONSOLE_INPUT_H
// Where console input comes from: CONSOLE_XEN (dom0: Xen's serial input,
// VIRQ_CONSOLE + CONSOLEIO_read), CONSOLE_RING (a domU's PV console ring),
// or 0 when there is none. Chosen (and the event bound) on first use.
unsigned int console_input_source(void);
// The next input byte, blocking (SCHEDOP_poll) until one comes; -1 if
// this domain has no console input at all.
int console_getc(void);
#endif
