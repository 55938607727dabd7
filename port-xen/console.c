// The console: line-buffered output to one or more channels.
//  xen   CONSOLEIO_write: the Xen console (serial). Dom0 may; a domU may only
//        where Xen allows it (XSM/FLASK, arm64 dom0less).
//  ring  the PV console ring, read by xenconsoled (`xl console`, its log).
//  e9    the debug port Xen echoes as "(dN) ..." (x86 PVH/HVM only).
// At start-up: xen when permitted, otherwise ring and e9, whichever exist.
#include <string.h>

#include "arch.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"

static char line[256];
static size_t used;
static unsigned int channels;
static struct xencons_interface *ring;
static evtchn_port_t ring_port;
static unsigned long dropped;

#define barrier() __asm__ volatile ("" ::: "memory")
#if defined(__x86_64__)
#define wmb() barrier()     // x86 stores are not reordered with stores
#else
#define wmb() __asm__ volatile ("dmb ishst" ::: "memory")
#endif

static void ring_notify(void) {
    struct evtchn_send send = { .port = ring_port };
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

// The ring is full: give xenconsoled up to half a second to drain it,
// blocking (never spinning) on its event channel, then drop output rather
// than stall the monitor.
static bool ring_wait(void) {
    uint64_t give_up = clock_now_ns() + 500000000ULL;
    while (ring->out_prod - ring->out_cons >= sizeof(ring->out)) {
        if (clock_now_ns() >= give_up) {
            return false;
        }
        clock_wait_port(ring_port, clock_now_ns() + 10000000ULL);
    }
    return true;
}

static void ring_write(const char *s, size_t n) {
    XENCONS_RING_IDX prod = ring->out_prod;
    for (size_t i = 0; i < n; i++) {
        if (prod - ring->out_cons >= sizeof(ring->out)) {
            ring->out_prod = prod;
            ring_notify();
            if (!ring_wait()) {
                dropped += n - i;
                return;
            }
        }
        ring->out[MASK_XENCONS_IDX(prod++, ring->out)] = s[i];
    }
    wmb();
    ring->out_prod = prod;
    ring_notify();
}

void console_flush(void) {
    if (!used) {
        return;
    }
    if (channels & CONSOLE_XEN) {
        HYPERVISOR_console_io(CONSOLEIO_write, used, line);
    }
    if (channels & CONSOLE_RING) {
        ring_write(line, used);
    }
    if (channels & CONSOLE_E9) {
        arch_debug_port_write(line, used);
    }
    used = 0;
}

void console_write(const char *s, size_t n) {
    while (n--) {
        char c = *s++;
        line[used++] = c;
        if (c == '\n' || used == sizeof(line)) {
            console_flush();
        }
    }
}

unsigned int console_available(void) {
    unsigned int have = 0;
    // A zero-length write checks the permission and nothing else.
    if (HYPERVISOR_console_io(CONSOLEIO_write, 0, "") == 0) {
        have |= CONSOLE_XEN;
    }
    if (ring || arch_console_ring(&ring, &ring_port)) {
        have |= CONSOLE_RING;
    }
    if (arch_has_debug_port()) {
        have |= CONSOLE_E9;
    }
    return have;
}

void console_init(void) {
    unsigned int have = console_available();
    channels = (have & CONSOLE_XEN) ? CONSOLE_XEN : have;
    if (channels & CONSOLE_RING) {
        clock_mask_port(ring_port);
    }
}

unsigned int console_channels(void) {
    return channels;
}

bool console_use(unsigned int wanted) {
    if (!wanted || (wanted & ~console_available())) {
        return false;
    }
    console_flush();
    channels = wanted;
    if (channels & CONSOLE_RING) {
        clock_mask_port(ring_port);
    }
    return true;
}

unsigned long console_dropped(void) {
    return dropped;
}

bool console_ring_get(struct xencons_interface **r, evtchn_port_t *p) {
    if (!ring && !arch_console_ring(&ring, &ring_port)) {
        return false;
    }
    clock_mask_port(ring_port);
    *r = ring;
    *p = ring_port;
    return true;
}
