// Typed wrappers over the assembly entry, arch/<arch>/hypercall.S. The
// arch-only ones are in the arch's own header.
#ifndef STUBMON_HYPERCALL_H
#define STUBMON_HYPERCALL_H

#include "xen_public.h"

long xen_hypercall(unsigned long nr, unsigned long a1, unsigned long a2,
    unsigned long a3, unsigned long a4, unsigned long a5);

#define HC(nr, a1, a2, a3) \
    xen_hypercall((nr), (unsigned long)(a1), (unsigned long)(a2), (unsigned long)(a3), 0, 0)

static inline long HYPERVISOR_console_io(int cmd, unsigned int count, const void *buf) {
    return HC(__HYPERVISOR_console_io, cmd, count, buf);
}
static inline long HYPERVISOR_sched_op(int cmd, void *arg) {
    return HC(__HYPERVISOR_sched_op, cmd, arg, 0);
}
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg) {
    return HC(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg) {
    return HC(__HYPERVISOR_event_channel_op, cmd, arg, 0);
}
static inline long HYPERVISOR_xen_version(int cmd, void *arg) {
    return HC(__HYPERVISOR_xen_version, cmd, arg, 0);
}
static inline long HYPERVISOR_sysctl(void *op) {
    return HC(__HYPERVISOR_sysctl, op, 0, 0);
}
static inline long HYPERVISOR_domctl(void *op) {
    return HC(__HYPERVISOR_domctl, op, 0, 0);
}
static inline long HYPERVISOR_physdev_op(int cmd, void *arg) {
    return HC(__HYPERVISOR_physdev_op, cmd, arg, 0);
}
static inline long HYPERVISOR_memory_op(int cmd, void *arg) {
    return HC(__HYPERVISOR_memory_op, cmd, arg, 0);
}
static inline long HYPERVISOR_hvm_op(int cmd, void *arg) {
    return HC(__HYPERVISOR_hvm_op, cmd, arg, 0);
}

#endif
