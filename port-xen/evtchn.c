// SPDX-License-Identifier: MIT
// Event channels: see evtchn.h. Pending and mask bits live in shared_info,
// one bit per port in words of 64. Every port is checked against the
// 2-level limit before it indexes those words (evtchn_port_valid).
#include <xen/errno.h>

#include "arch.h"
#include "evtchn.h"
#include "hypercall.h"

#define WORD_BITS (sizeof(xen_ulong_t) * 8)
_Static_assert(sizeof(xen_ulong_t) == sizeof(unsigned long), "1UL << bit covers a word");
_Static_assert(EVTCHN_2L_NR_PORTS == sizeof(((struct shared_info *)0)->evtchn_pending) * 8,
    "one pending bit per 2-level port");
_Static_assert(EVTCHN_2L_NR_PORTS == sizeof(((struct shared_info *)0)->evtchn_mask) * 8,
    "one mask bit per 2-level port");

void evtchn_mask(evtchn_port_t port) {
    if (!evtchn_port_valid(port)) {
        return;
    }
    __atomic_fetch_or(&arch_shared_info->evtchn_mask[port / WORD_BITS], 1UL << (port % WORD_BITS), __ATOMIC_SEQ_CST);
}

int evtchn_bind_virq_rc(uint32_t virq, evtchn_port_t *port) {
    struct evtchn_bind_virq bind = { .virq = virq, .vcpu = 0 };
    int rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind);
    if (rc != 0) {
        return rc;
    }
    if (!evtchn_port_valid(bind.port)) {
        // not a port this 2-level code can poll: give it back
        struct evtchn_close close = { .port = bind.port };
        HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
        return -XEN_ERANGE;
    }
    evtchn_mask(bind.port);
    *port = bind.port;
    return 0;
}

bool evtchn_bind_virq(uint32_t virq, evtchn_port_t *port) {
    return evtchn_bind_virq_rc(virq, port) == 0;
}

bool evtchn_test_and_clear(evtchn_port_t port) {
    if (!evtchn_port_valid(port)) {
        return false;
    }
    unsigned long bit = 1UL << (port % WORD_BITS);
    volatile unsigned long *word = &arch_shared_info->evtchn_pending[port / WORD_BITS];
    // the plain load first: the REPL's VM hook asks often, mostly for nothing
    if (!(*word & bit)) {
        return false;
    }
    return __atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST) & bit;
}

void evtchn_notify(evtchn_port_t port) {
    struct evtchn_send send = { .port = port };
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

void evtchn_block(const evtchn_port_t *port, uint64_t deadline_ns) {
    // Xen's timeout is signed ns and 0 means none: keep "never" far but
    // positive, and "now" at 1 (long past: returns at once).
    if (deadline_ns > INT64_MAX) {
        deadline_ns = INT64_MAX;
    } else if (deadline_ns == 0) {
        deadline_ns = 1;
    }
    // SCHEDOP_poll's ports handle is not const: the port is copied.
    evtchn_port_t p = port ? *port : 0;
    struct sched_poll poll = { .nr_ports = port ? 1 : 0, .timeout = deadline_ns };
    set_xen_guest_handle(poll.ports, port ? &p : NULL);
    HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
    arch_after_block();
}

bool evtchn_wait(evtchn_port_t port, uint64_t deadline_ns) {
    if (evtchn_test_and_clear(port)) {
        return true;
    }
    // An event that comes after the test leaves the bit set: the poll
    // returns at once.
    evtchn_block(&port, deadline_ns);
    return evtchn_test_and_clear(port);
}
