// x86 Xen system time: the vcpu_time_info Xen keeps in shared_info, scaled
// from the TSC (the pvclock algorithm), for PV and PVH alike.
#include "arch.h"
#include "barrier.h"

static uint64_t read_tsc(void) {
    uint32_t lo, hi;
    __asm__ volatile ("rdtsc" : "=a" (lo), "=d" (hi));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t arch_now_ns(void) {
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
    uint64_t delta = read_tsc() - tsc_stamp;
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}
