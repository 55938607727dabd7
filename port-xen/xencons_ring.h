// SPDX-License-Identifier: MIT
// The PV console ring's indexes (Xen's public io/console.h), shared by
// console.c (the output half) and console_input.c (the input half). Also
// compiled on the host against a backend that races its indexes
// (tests/unit/test_boundary_ring.py).
//
// The ring page is shared with the console backend (xenconsoled, or what
// the toolstack runs instead), which may write anything there at any time:
//  - our own index (out_prod, in_cons) lives in a private copy, read from
//    the page once when the ring is found; the page's copy is only written;
//  - the backend's index is read once per operation, then a barrier, and
//    only that local value is used;
//  - producer - consumer is at most the ring's size. Anything else is a
//    broken ring: we take the backend's index as ours (dropping what lies
//    between; nothing is read or written then) and count it;
//  - every access to the data is masked, and no call moves more than one
//    ring's worth, so a loop over these calls ends.
#ifndef STUBMON_XENCONS_RING_H
#define STUBMON_XENCONS_RING_H
#include <stdbool.h>
#include <stddef.h>

#include "barrier.h"
#include "xen_public.h"

// One read of an index the backend may move (a volatile load, so the
// compiler neither repeats nor drops it). The host test puts its racing
// backend here.
#ifndef XENCONS_READ_INDEX
#define XENCONS_READ_INDEX(p) (*(const volatile XENCONS_RING_IDX *)(p))
#endif
#define XENCONS_WRITE_INDEX(p, v) (*(volatile XENCONS_RING_IDX *)(p) = (v))

struct xencons_own {
    XENCONS_RING_IDX idx;    // our index: in_cons (input) or out_prod (output)
    unsigned long resyncs;   // times the backend's index was out of range
};

// Our index as the page has it when the ring is found; never read again.
static inline void xencons_own_init(struct xencons_own *own, const XENCONS_RING_IDX *shared) {
    own->idx = XENCONS_READ_INDEX(shared);
    own->resyncs = 0;
}

// Input: whether the backend has produced past our consumer index.
static inline bool xencons_in_pending(struct xencons_interface *r, const struct xencons_own *cons) {
    return XENCONS_READ_INDEX(&r->in_prod) != cons->idx;
}

// Input: up to max of the bytes the backend produced, into dst; the
// consumer index moves past them and is published. Returns how many.
static inline size_t xencons_in_read(struct xencons_interface *r, struct xencons_own *cons,
    char *dst, size_t max) {
    XENCONS_RING_IDX prod = XENCONS_READ_INDEX(&r->in_prod);
    rmb();   // the index before the bytes it covers
    XENCONS_RING_IDX avail = prod - cons->idx;
    if (avail > sizeof(r->in)) {
        // more than a ring ahead, or behind us: a broken ring
        cons->idx = prod;
        cons->resyncs++;
        mb();
        XENCONS_WRITE_INDEX(&r->in_cons, cons->idx);
        return 0;
    }
    size_t n = avail < max ? avail : max;
    for (size_t i = 0; i < n; i++) {
        dst[i] = r->in[MASK_XENCONS_IDX(cons->idx + (XENCONS_RING_IDX)i, r->in)];
    }
    cons->idx += (XENCONS_RING_IDX)n;
    mb();    // the bytes read before their slots are handed back
    XENCONS_WRITE_INDEX(&r->in_cons, cons->idx);
    return n;
}

// Output: bytes the ring has room for now, at most its size.
static inline size_t xencons_out_room(struct xencons_interface *r, struct xencons_own *prod) {
    XENCONS_RING_IDX cons = XENCONS_READ_INDEX(&r->out_cons);
    mb();    // the index before overwriting what it freed
    XENCONS_RING_IDX used = prod->idx - cons;
    if (used > sizeof(r->out)) {
        // a consumer ahead of us, or more than a ring behind: broken
        prod->idx = cons;
        prod->resyncs++;
        wmb();
        XENCONS_WRITE_INDEX(&r->out_prod, prod->idx);
        used = 0;
    }
    return sizeof(r->out) - used;
}

// Output: n bytes the caller found room for (xencons_out_room), published
// with one index write. Never more than the ring's size.
static inline void xencons_out_put(struct xencons_interface *r, struct xencons_own *prod,
    const char *s, size_t n) {
    if (n > sizeof(r->out)) {
        n = sizeof(r->out);
    }
    for (size_t i = 0; i < n; i++) {
        r->out[MASK_XENCONS_IDX(prod->idx + (XENCONS_RING_IDX)i, r->out)] = s[i];
    }
    prod->idx += (XENCONS_RING_IDX)n;
    wmb();   // the bytes before the index that publishes them
    XENCONS_WRITE_INDEX(&r->out_prod, prod->idx);
}

#endif
