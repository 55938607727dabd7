// SPDX-License-Identifier: MIT
// Xen system time on arm64. Xen's ARM port keeps no vcpu_time_info for
// guests; its clock is NOW() = ticks_to_ns(CNTPCT - boot_count), while a
// guest reads CNTVCT = CNTPCT - (a per-domain offset we cannot see). So:
// now = ticks_to_ns(CNTVCT) + offset, the offset calibrated against the
// runstate area Xen writes (state_entry_time = NOW() when our vCPU is
// switched in). The estimate can only be early, never late, so the best
// is the largest seen: it is refined after every block.
#include "arch.h"
#include "bootstamp.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "arm64.h"

static volatile struct vcpu_runstate_info runstate __attribute__((aligned(64)));
static bool have_runstate;
static uint64_t freq;          // CNTFRQ_EL0, ticks a second
static int64_t offset_ns;      // Xen time - ticks_to_ns(CNTVCT)
static bool calibrated;
uint64_t arm64_entry_cnt;      // CNTVCT at entry (head.S)
static uint64_t entry_ns;      // ... in Xen time (arch_entry_ns)

static uint64_t read_cntvct(void) {
    uint64_t v;
    __asm__ volatile ("isb; mrs %0, cntvct_el0" : "=r" (v) :: "memory");
    return v;
}

static uint64_t ticks_to_ns(uint64_t t) {
    return (t / freq) * 1000000000ULL + (t % freq) * 1000000000ULL / freq;
}

// A consistent copy of the fields we read (Xen may write while we read).
static uint64_t runstate_field(volatile uint64_t *f) {
    uint64_t a, b;
    do {
        a = *f;
        __asm__ volatile ("dmb ish" ::: "memory");
        b = *f;
    } while (a != b || (a & XEN_RUNSTATE_UPDATE));
    return a;
}

void arch_after_block(void) {
    if (!have_runstate) {
        return;
    }
    uint64_t entry = runstate_field(&runstate.state_entry_time);
    uint64_t cnt = read_cntvct();
    int64_t off = (int64_t)(entry - ticks_to_ns(cnt));
    if (!calibrated || off > offset_ns) {
        offset_ns = off;
        calibrated = true;
    }
}

void arm64_clock_init(void) {
    __asm__ volatile ("mrs %0, cntfrq_el0" : "=r" (freq));
    if (freq == 0) {
        freq = 62500000;   // QEMU virt's; never seen 0, but never divide by it
    }
    struct vcpu_register_runstate_memory_area area;
    area.addr.p = 0;
    area.addr.v = (struct vcpu_runstate_info *)&runstate;
    have_runstate = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &area) == 0;
    if (!have_runstate) {
        // Never seen on 4.17/4.20; without it deadlines would be off by
        // the time between Xen's boot and this domain's creation.
        static const char warn[] = "stubmon: no runstate area: the clock is uncalibrated\n";
        console_write(warn, sizeof(warn) - 1);
    }
    // One zero-length block: the wake has Xen stamp state_entry_time.
    // Every later sleep refines the offset. (More blocks here cost a
    // scheduling round each when other domains boot too: with four
    // dom0less domUs on Xen 4.17, four blocks put dom0's first table 40 ms
    // to 1.1 s after Xen hands over, one block 40 to 110 ms.)
    // (evtchn_block calls arch_after_block once it returns.)
    evtchn_block(NULL, 1);
    entry_ns = ticks_to_ns(arm64_entry_cnt) + offset_ns;
}

uint64_t arch_now_ns(void) {
    return ticks_to_ns(read_cntvct()) + offset_ns;
}

// The entry stamp (bootstamp.h), converted with the first calibration:
// later ones only move the clock on, so every later stamp stays after it.
uint64_t arch_entry_ns(void) {
    return entry_ns;
}

// Arm allows no VCPUOP_get_runstate_info: the registered area is read.
// Completed running stints only (arch.h): the sum never goes back.
uint64_t arch_own_cpu_ns(void) {
    if (!have_runstate) {
        return 0;
    }
    return runstate_field(&runstate.time[RUNSTATE_running]) & ~XEN_RUNSTATE_UPDATE;
}
