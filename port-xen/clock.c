// SPDX-License-Identifier: MIT
// Time and sleeping, without interrupts or callbacks: the vCPU blocks in
// SCHEDOP_poll (evtchn.c) until one of our masked event channels is
// pending or until its timeout, an absolute Xen system time. Nothing ever
// spins.
#include "arch.h"
#include "clock.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"

static evtchn_port_t dom_exc_port;
static bool have_dom_exc;
static int dom_exc_rc;   // the bind's answer, for the monitor to explain
// A port nothing ever signals (VIRQ_TIMER with no vCPU timer set): polling
// on it alone sleeps until the timeout however many other events arrive,
// where a poll on no port would wake at any event of the domain.
static evtchn_port_t quiet_port;
static bool have_quiet;
static struct clock_sleep_counts counts;

const struct clock_sleep_counts *clock_sleep_counts(void) {
    return &counts;
}

uint64_t clock_now_ns(void) {
    return arch_now_ns();
}

uint64_t clock_own_cpu_ns(void) {
    return arch_own_cpu_ns();
}

void clock_init(void) {
    // x86 PV vCPUs start with a 10 ms periodic timer: it would wake us 100
    // times a second for nothing (elsewhere the call fails harmlessly).
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    // Only the domain Xen sends domain-state changes to may bind this.
    clock_bind_dom_exc();
    have_quiet = evtchn_bind_virq(VIRQ_TIMER, &quiet_port);
}

int clock_bind_dom_exc(void) {
    if (!have_dom_exc) {
        dom_exc_rc = evtchn_bind_virq_rc(VIRQ_DOM_EXC, &dom_exc_port);
        have_dom_exc = dom_exc_rc == 0;
    }
    return dom_exc_rc;
}

bool clock_has_dom_exc(void) {
    return have_dom_exc;
}

int clock_dom_exc_rc(void) {
    return dom_exc_rc;
}

bool clock_sleep_until(uint64_t deadline_ns, bool events) {
    console_flush();
    // Returns at the timeout (at once if it is past), or when a domain
    // changes state; on Arm any interrupt Xen injects also ends a poll.
    // Our clock reading before the deadline after a return that is not our
    // event means such a wake (or Xen's clock a little ahead of our
    // extrapolation of it): poll again, a bounded number of times, so a
    // lasting disagreement costs a few quick hypercalls, never a spin.
    counts.sleeps++;
    for (int tries = 0; tries < 4; tries++) {
        counts.blocks++;
        if (have_dom_exc && events) {
            if (evtchn_wait(dom_exc_port, deadline_ns)) {
                counts.events++;
                return true;
            }
        } else {
            evtchn_block(have_quiet ? &quiet_port : NULL, deadline_ns);
        }
        if (clock_now_ns() >= deadline_ns) {
            break;
        }
        counts.early++;
    }
    return false;
}
