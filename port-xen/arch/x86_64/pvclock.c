// SPDX-License-Identifier: MIT
// x86 Xen system time: the vcpu_time_info Xen keeps in shared_info, scaled
// from the TSC (the pvclock algorithm), for PV and PVH alike.
#include "arch.h"
#include "barrier.h"
#include "bootstamp.h"
#include "x86.h"

static uint64_t read_tsc(void) {
    uint32_t lo, hi;
    __asm__ volatile ("rdtsc" : "=a" (lo), "=d" (hi));
    return ((uint64_t)hi << 32) | lo;
}

// Xen time at a TSC reading: tsc() is read after Xen's stamp (now) or
// is a reading taken before shared_info was mapped (the entry stamp,
// earlier than Xen's tsc_timestamp: scaled backwards).
static uint64_t ns_at(bool now, uint64_t then) {
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
    uint64_t tsc = now ? read_tsc() : then;
    // a signed difference: a PVH guest's TSC starts near 0 when the
    // domain is built, so Xen's stamp may be "negative" (0xffff...)
    int64_t diff = (int64_t)(tsc - tsc_stamp);
    bool before = diff < 0;
    uint64_t delta = before ? -(uint64_t)diff : (uint64_t)diff;
    delta = shift < 0 ? delta >> -shift : delta << shift;
    uint64_t ns = (uint64_t)(((unsigned __int128)delta * mul) >> 32);
    return before ? system_time - ns : system_time + ns;
}

uint64_t arch_now_ns(void) {
    return ns_at(true, 0);
}

// The TSC as pv_start / pvh_start began (bootstamp.h).
uint64_t x86_entry_tsc;

void x86_stamp_entry(void) {
    x86_entry_tsc = read_tsc();
}

uint64_t arch_entry_ns(void) {
    return ns_at(false, x86_entry_tsc);
}
