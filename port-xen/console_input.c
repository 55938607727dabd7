// Console input for the REPL (repl=1), arch-neutral. It blocks, never
// spins: the vCPU sleeps in SCHEDOP_poll on the event channel that says
// input arrived, with upcalls masked as everywhere else (clock.c).
//  xen   dom0 (the domain Xen's serial input goes to, "*** Serial input to
//        DOM0"): VIRQ_CONSOLE is raised for each batch of bytes, which
//        CONSOLEIO_read then takes out of Xen's serial receive ring.
//  ring  a domU: the input half of its PV console ring (`xl console`),
//        signalled on the ring's event channel.
#include "clock.h"
#include "console.h"
#include "console_input.h"
#include "hypercall.h"

#define barrier() __asm__ volatile ("" ::: "memory")
#if defined(__x86_64__)
#define rmb() barrier()     // x86 loads are not reordered with loads
#define mb() __asm__ volatile ("mfence" ::: "memory")
#else
#define rmb() __asm__ volatile ("dmb ishld" ::: "memory")
#define mb() __asm__ volatile ("dmb ish" ::: "memory")
#endif

static int source = -1;   // -1 not chosen yet; else CONSOLE_XEN, CONSOLE_RING or 0
static evtchn_port_t port;
static struct xencons_interface *ring;
static char buf[64];
static unsigned int have, next;

// Whether Xen says we are the hardware domain (XENFEAT_dom0).
static bool is_dom0(void) {
    struct xen_feature_info fi = { .submap_idx = 0 };
    return HYPERVISOR_xen_version(XENVER_get_features, &fi) == 0
        && (fi.submap & (1u << XENFEAT_dom0));
}

// The ring first. Any domain may bind the global VIRQ_CONSOLE, but Xen
// sends it (and serial input) to dom0 only: a domU that bound it would
// wait for good. Dom0 has no ring; an arm64 dom0less domU neither (its
// serial input goes to an emulated PL011): no input there.
static int choose(void) {
    if (console_ring_get(&ring, &port)) {
        return CONSOLE_RING;   // console.c masked its port already
    }
    if (!is_dom0()) {
        return 0;
    }
    struct evtchn_bind_virq bind = { .virq = VIRQ_CONSOLE, .vcpu = 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind) == 0) {
        port = bind.port;
        clock_mask_port(port);
        return CONSOLE_XEN;
    }
    return 0;
}

unsigned int console_input_source(void) {
    if (source < 0) {
        source = choose();
    }
    return source;
}

// Whatever input is there now, without waiting: bytes read into buf.
static unsigned int read_now(void) {
    if (source == CONSOLE_XEN) {
        long n = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf);
        return n > 0 ? (unsigned int)n : 0;
    }
    XENCONS_RING_IDX cons = ring->in_cons, prod = ring->in_prod;
    rmb();
    unsigned int n = 0;
    while (cons != prod && n < sizeof(buf)) {
        buf[n++] = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
    }
    mb();
    ring->in_cons = cons;
    if (n) {
        struct evtchn_send send = { .port = port };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);   // room again
    }
    return n;
}

int console_getc(void) {
    if (next < have) {
        return (unsigned char)buf[next++];
    }
    if (!console_input_source()) {
        return -1;
    }
    // what was typed shows before we block (prompt, echo)
    console_flush();
    for (;;) {
        // The port's pending bit is set by every arrival and cleared by
        // clock_wait_port before it returns: input landing between the
        // read and the poll leaves it set, so the poll returns at once.
        have = read_now();
        if (have) {
            next = 1;
            return (unsigned char)buf[0];
        }
        clock_wait_port(port, INT64_MAX);
    }
}
