// SPDX-License-Identifier: MIT
#ifndef STUBMON_CLOCK_H
#define STUBMON_CLOCK_H
#include <stdbool.h>
#include <stdint.h>
// Xen system time: nanoseconds since the hypervisor booted.
uint64_t clock_now_ns(void);
// CPU time this vCPU has spent running (its runstate) up to its last
// block, in ns: what the monitor itself costs, readable without privilege.
uint64_t clock_own_cpu_ns(void);
// Stop the default periodic tick and bind the events sleep waits for.
void clock_init(void);
// Block the vCPU until deadline_ns or until a domain changes state
// (VIRQ_DOM_EXC, when this domain may receive it). Returns true if woken
// early by such an event. With events false it sleeps through them (they
// stay pending) and returns false.
bool clock_sleep_until(uint64_t deadline_ns, bool events);
// Whether VIRQ_DOM_EXC could be bound (only the control domain gets it).
bool clock_has_dom_exc(void);
// Xen's answer to that bind: 0, or a negative errno (-EBUSY from 4.21 in
// a domain that is not VIRQ_DOM_EXC's handler).
int clock_dom_exc_rc(void);

// Bind VIRQ_DOM_EXC now unless it is bound already (clock_init tried at
// boot; a Xen 4.21+ control domain that made itself the event's handler,
// XEN_DOMCTL_set_virq_handler, tries again). Returns 0 or -errno, what
// clock_dom_exc_rc() answers from then on.
int clock_bind_dom_exc(void);

// What sleeping has cost since boot (stats=, make bench): sleeps asked for,
// SCHEDOP_poll calls made, wakes by a domain event, and early wakes (the
// poll returned before the deadline without our event: another interrupt
// Xen injected, or its clock ahead of ours), each a poll made again.
struct clock_sleep_counts {
    uint32_t sleeps, blocks, events, early;
};
const struct clock_sleep_counts *clock_sleep_counts(void);
#endif
