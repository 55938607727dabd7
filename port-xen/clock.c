// Time and sleeping, without interrupts or callbacks: SCHEDOP_poll blocks
// the vCPU until one of our (masked) event channels is pending or until its
// timeout, an absolute Xen system time. Nothing ever spins.
#include "arch.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"

static evtchn_port_t dom_exc_port;
static bool have_dom_exc;
// A port nothing ever signals (VIRQ_TIMER with no vCPU timer set): polling
// on it alone sleeps until the timeout however many other events arrive,
// where a poll on no port would wake at any event of the domain.
static evtchn_port_t quiet_port;
static bool have_quiet;

uint64_t clock_now_ns(void) {
    return arch_now_ns();
}

#if defined(__aarch64__)
// Arm allows no VCPUOP_get_runstate_info: the registered runstate area is
// read instead, and each wake refines the clock (arch/arm64/timer.c).
#include "arch/arm64/arm64.h"
#define clock_after_block() arm64_after_block()
#else
#define clock_after_block() ((void)0)
#endif

uint64_t clock_own_cpu_ns(void) {
#if defined(__aarch64__)
    return arm64_own_cpu_ns();
#else
    struct vcpu_runstate_info rs;
    if (HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &rs) != 0) {
        return 0;
    }
    // Completed running stints only, i.e. up to this vCPU's last block:
    // the stint in progress is not added, because its start stamp and our
    // extrapolated clock need not agree, and the sum must never go back.
    return rs.time[RUNSTATE_running];
#endif
}

static bool bind_virq(uint32_t virq, evtchn_port_t *port) {
    struct evtchn_bind_virq bind = { .virq = virq, .vcpu = 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind) != 0) {
        return false;
    }
    *port = bind.port;
    clock_mask_port(bind.port);
    return true;
}

void clock_mask_port(evtchn_port_t port) {
    __atomic_fetch_or(&arch_shared_info->evtchn_mask[port / 64], 1UL << (port % 64), __ATOMIC_SEQ_CST);
}

static bool test_and_clear_pending(evtchn_port_t port) {
    unsigned long bit = 1UL << (port % 64);
    return __atomic_fetch_and(&arch_shared_info->evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

void clock_wait_port(evtchn_port_t port, uint64_t deadline_ns) {
    struct sched_poll poll = { .nr_ports = 1, .timeout = deadline_ns ? deadline_ns : 1 };
    set_xen_guest_handle(poll.ports, &port);
    if (!test_and_clear_pending(port)) {
        HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
        test_and_clear_pending(port);
    }
}

void clock_init(void) {
    // SCHEDOP_poll requires upcalls masked; they are at boot, make sure.
    // (Arm has no upcall mask: IRQs stay masked in PSTATE from entry on.)
#ifdef XEN_HAVE_PV_UPCALL_MASK
    arch_shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
#endif
    // x86 PV vCPUs start with a 10 ms periodic timer: it would wake us 100
    // times a second for nothing (elsewhere the call fails harmlessly).
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    // Only the domain Xen sends domain-state changes to may bind this.
    have_dom_exc = bind_virq(VIRQ_DOM_EXC, &dom_exc_port);
    have_quiet = bind_virq(VIRQ_TIMER, &quiet_port);
}

bool clock_has_dom_exc(void) {
    return have_dom_exc;
}

bool clock_sleep_until(uint64_t deadline_ns, bool events) {
    console_flush();
    // Xen's timers take signed nanoseconds (0 means no timeout): keep
    // "never" far but positive.
    if (deadline_ns > INT64_MAX) {
        deadline_ns = INT64_MAX;
    } else if (deadline_ns == 0) {
        deadline_ns = 1;
    }
    bool want = have_dom_exc && events;
    struct sched_poll poll = { .nr_ports = want || have_quiet ? 1 : 0, .timeout = deadline_ns };
    set_xen_guest_handle(poll.ports, want ? &dom_exc_port : &quiet_port);
    if (want && test_and_clear_pending(dom_exc_port)) {
        return true;
    }
    // Returns at the timeout (at once if it is past), or when a domain
    // changes state; on Arm any interrupt Xen injects also ends a poll.
    // Our clock reading before the deadline after a return that is not our
    // event means such a wake (or Xen's clock a little ahead of our
    // extrapolation of it): poll again, a bounded number of times, so a
    // lasting disagreement costs a few quick hypercalls, never a spin.
    for (int tries = 0; tries < 4; tries++) {
        HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
        clock_after_block();
        if (want && test_and_clear_pending(dom_exc_port)) {
            return true;
        }
        if (clock_now_ns() >= deadline_ns) {
            break;
        }
    }
    return false;
}
