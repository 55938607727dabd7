// SPDX-License-Identifier: MIT
#include "console.h"
#include "hypercall.h"
#include "shutdown.h"

__attribute__((noreturn)) void domain_shutdown(unsigned int reason) {
    console_flush();
    struct sched_shutdown sd = { .reason = reason };
    // SCHEDOP_shutdown does not return to a domain being shut down; a
    // control domain is descheduled as Xen halts. Never fall through.
    for (;;) {
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
    }
}
