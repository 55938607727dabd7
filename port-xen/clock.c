// Time from shared_info and sleeping without a callback: a single-shot vCPU
// timer raises VIRQ_TIMER and SCHEDOP_poll blocks until one of our
// (masked) event channels is pending. Nothing ever spins.
#include "arch.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"

static evtchn_port_t timer_port, dom_exc_port;
static bool have_dom_exc;

#define barrier() __asm__ volatile ("" ::: "memory")

uint64_t clock_now_ns(void) {
    volatile struct vcpu_time_info *t = &arch_shared_info->vcpu_info[0].time;
    uint32_t version, mul;
    uint64_t tsc_stamp, system_time;
    int8_t shift;
    do {
        version = t->version;
        barrier();
        tsc_stamp = t->tsc_timestamp;
        system_time = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        barrier();
    } while ((version & 1) || version != t->version);
    uint64_t delta = arch_read_tsc() - tsc_stamp;
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t clock_own_cpu_ns(void) {
    struct vcpu_runstate_info rs;
    if (HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &rs) != 0) {
        return 0;
    }
    // Completed running stints only, i.e. up to this vCPU's last block:
    // the stint in progress is not added, because its start stamp and our
    // extrapolated clock need not agree, and the sum must never go back.
    return rs.time[RUNSTATE_running];
}

static bool bind_virq(uint32_t virq, evtchn_port_t *port) {
    struct evtchn_bind_virq bind = { .virq = virq, .vcpu = 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind) != 0) {
        return false;
    }
    *port = bind.port;
    // Masked: we poll, we never take an upcall.
    __atomic_fetch_or(&arch_shared_info->evtchn_mask[bind.port / 64], 1UL << (bind.port % 64), __ATOMIC_SEQ_CST);
    return true;
}

static bool test_and_clear_pending(evtchn_port_t port) {
    unsigned long bit = 1UL << (port % 64);
    return __atomic_fetch_and(&arch_shared_info->evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

void clock_init(void) {
    // SCHEDOP_poll requires upcalls masked; they are at boot, make sure.
    arch_shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
    // PV vCPUs start with a 10 ms periodic timer: it would wake us 100
    // times a second for nothing.
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    if (!bind_virq(VIRQ_TIMER, &timer_port)) {
        console_write("stubmon: cannot bind VIRQ_TIMER\n", 33);
    }
    have_dom_exc = bind_virq(VIRQ_DOM_EXC, &dom_exc_port);
}

bool clock_has_dom_exc(void) {
    return have_dom_exc;
}

bool clock_sleep_until(uint64_t deadline_ns) {
    console_flush();
    // Xen's timers take signed nanoseconds: keep "never" far but positive.
    if (deadline_ns > INT64_MAX) {
        deadline_ns = INT64_MAX;
    }
    evtchn_port_t ports[2] = { timer_port, dom_exc_port };
    struct sched_poll poll = { .nr_ports = have_dom_exc ? 2 : 1, .timeout = 0 };
    set_xen_guest_handle(poll.ports, ports);
    if (clock_now_ns() >= deadline_ns) {
        return false;
    }
    // A timer left from a sleep that an event ended may have fired since:
    // forget it before arming the new one (which replaces it).
    test_and_clear_pending(timer_port);
    struct vcpu_set_singleshot_timer timer = { .timeout_abs_ns = deadline_ns, .flags = 0 };
    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &timer);
    for (;;) {
        if (have_dom_exc && test_and_clear_pending(dom_exc_port)) {
            return true;
        }
        // The timer's word is final: Xen's clock, not our extrapolation of
        // it, decides the deadline passed. Re-arming on our own reading
        // could spin for as long as the two disagree.
        if (test_and_clear_pending(timer_port)) {
            return false;
        }
        HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
    }
}
