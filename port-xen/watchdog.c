// SPDX-License-Identifier: MIT
// Xen's domain watchdog: see watchdog.h.
#include "hypercall.h"
#include "watchdog.h"

static uint32_t wd_id;        // Xen's id for our timer; 0 = none armed
static uint32_t wd_timeout;   // seconds

static long sched_watchdog(uint32_t id, uint32_t timeout) {
    struct sched_watchdog wd = { .id = id, .timeout = timeout };
    return HYPERVISOR_sched_op(SCHEDOP_watchdog, &wd);
}

long watchdog_set(uint32_t seconds) {
    if (!seconds) {
        long rc = wd_id ? sched_watchdog(wd_id, 0) : 0;   // timeout 0 frees it
        wd_id = 0;
        wd_timeout = 0;
        return rc < 0 ? rc : 0;
    }
    // id 0 asks Xen for a new timer and returns its id; an existing id
    // re-arms that timer with the (new) timeout.
    long rc = sched_watchdog(wd_id, seconds);
    if (rc < 0) {
        return rc;
    }
    if (!wd_id) {
        wd_id = (uint32_t)rc;
    }
    wd_timeout = seconds;
    return 0;
}

void watchdog_kick(void) {
    if (wd_id) {
        sched_watchdog(wd_id, wd_timeout);
    }
}

uint32_t watchdog_timeout_s(void) {
    return wd_timeout;
}
