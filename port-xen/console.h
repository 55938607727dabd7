// SPDX-License-Identifier: MIT
#ifndef STUBMON_CONSOLE_H
#define STUBMON_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>

// Output channels (see console.c), as a bit mask.
#define CONSOLE_XEN  1u
#define CONSOLE_RING 2u
#define CONSOLE_E9   4u

// Picks the channels: the PV ring where there is one, plus the Xen console
// where permitted, else the debug port (e9) where there is one.
void console_init(void);
// Buffered by line so that each line reaches Xen in one hypercall.
void console_write(const char *s, size_t n);
// Sends everything: the line so far and a batch.
void console_flush(void);
// on: a poll's lines are gathered into few hypercalls until console_batch(false)
// or the next console_flush() (every sleep does one).
void console_batch(bool on);
unsigned int console_available(void);
unsigned int console_channels(void);
// Switch to the given channels; false (and no change) if one is missing.
bool console_use(unsigned int channels);
// Lines the PV console ring had no room for (xenconsoled not draining):
// dropped whole or cut with " [cut: console full]", since boot.
unsigned long console_dropped(void);
// CONSOLEIO_write hypercalls made (the Xen console's share of a poll's cost).
unsigned long console_xen_writes(void);
// The PV console ring and its event channel (masked), if this domain has
// one; console_input.c reads its input half.
#include "xen_public.h"
bool console_ring_get(struct xencons_interface **ring, evtchn_port_t *port);
#endif
