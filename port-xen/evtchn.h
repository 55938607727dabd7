// SPDX-License-Identifier: MIT
// Event channels, polled only (stubmon takes no upcalls), in the shape of
// Mini-OS's events.c: every port is masked, and the vCPU blocks in
// SCHEDOP_poll until a port it names is pending or a timeout passes.
#ifndef STUBMON_EVTCHN_H
#define STUBMON_EVTCHN_H
#include <stdbool.h>
#include <stdint.h>
#include "xen_public.h"

// Ports a 2-level event channel ABI has: one bit each in shared_info's
// evtchn_pending and evtchn_mask, sizeof(xen_ulong_t) * 8 words of
// sizeof(xen_ulong_t) * 8 bits (4096 with 64-bit words). A port from
// elsewhere (start_info, an HVM param, Xen's answer to a bind) is checked
// against it before it indexes those arrays.
#define EVTCHN_2L_NR_PORTS (sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)
static inline bool evtchn_port_valid(uint64_t port) {
    return port < EVTCHN_2L_NR_PORTS;
}

// Bind a VIRQ to vCPU 0 and mask it; false if Xen refuses (e.g.
// VIRQ_DOM_EXC outside the domain Xen sends domain changes to).
bool evtchn_bind_virq(uint32_t virq, evtchn_port_t *port);
// The same, returning Xen's answer: 0 or a negative errno (-EBUSY: from
// Xen 4.21 VIRQ_DOM_EXC in a domain that is not its handler).
int evtchn_bind_virq_rc(uint32_t virq, evtchn_port_t *port);
// Mask a port we only ever poll (never take as an upcall).
void evtchn_mask(evtchn_port_t port);
// Whether the port was pending; clears it. Cheap when it is not (one load).
bool evtchn_test_and_clear(evtchn_port_t port);
// Signal the other end (EVTCHNOP_send).
void evtchn_notify(evtchn_port_t port);
// Block until *port is pending (port NULL: any event of the domain) or Xen
// system time reaches deadline_ns (past: returns at once). Clears nothing.
void evtchn_block(const evtchn_port_t *port, uint64_t deadline_ns);
// Block until `port` is pending or deadline_ns; true (and cleared) if it
// was pending, false at the timeout.
bool evtchn_wait(evtchn_port_t port, uint64_t deadline_ns);
#endif
