// Memory ordering, with Mini-OS's names. barrier() stops the compiler
// only; mb() (all accesses), rmb() (loads), wmb() (stores) also order the
// CPU's, for memory shared with other domains (the console rings). Each
// arch implements those (arch.h).
#ifndef STUBMON_BARRIER_H
#define STUBMON_BARRIER_H
#include "arch.h"

#define barrier() __asm__ volatile ("" ::: "memory")
#define mb() arch_mb()
#define rmb() arch_rmb()
#define wmb() arch_wmb()

#endif
