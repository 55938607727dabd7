// SPDX-License-Identifier: MIT
// Console input for the REPL (repl=1), arch-neutral. It blocks, never
// spins: the vCPU sleeps in SCHEDOP_poll on the event channel that says
// input arrived, with upcalls masked as everywhere else (evtchn.c).
//  xen   dom0 (the domain Xen's serial input goes to, "*** Serial input to
//        DOM0"): VIRQ_CONSOLE is raised for each batch of bytes, which
//        CONSOLEIO_read then takes out of Xen's serial receive ring.
//  ring  a domU: the input half of its PV console ring (`xl console`),
//        signalled on the ring's event channel.
// While a statement runs, console_input_take() lets the VM look for the
// interrupt character (Ctrl-C) without blocking; whatever else it finds
// stays buffered for the REPL. It takes a bounded amount per call, so a
// backend that keeps producing cannot hold it in its loop.
// The ring's indexes are handled by xencons_ring.h: our in_cons is a
// private copy, in_prod is read once per look and must be at most a ring
// ahead of it, else the ring is resynchronised, counted and said.
#include <string.h>

#include "barrier.h"
#include "clock.h"
#include "console.h"
#include "console_input.h"
#include "evtchn.h"
#include "hypercall.h"
#include "watchdog.h"
#include "xencons_ring.h"

static int source = -1;   // -1 not chosen yet; else CONSOLE_XEN, CONSOLE_RING or 0
static evtchn_port_t port;
static struct xencons_interface *ring;
static struct xencons_own in_own;         // in_cons, ours (xencons_ring.h)
static unsigned long resyncs_said;        // in_own.resyncs already said
// Typed-ahead input, buf[next..have). Bytes that arrive while a statement
// runs wait here for the REPL; more than fits is dropped and said.
static char buf[256];
static unsigned int have, next;
static unsigned long overflow;   // typed-ahead bytes dropped, not yet said

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
        xencons_own_init(&in_own, &ring->in_cons);
        return CONSOLE_RING;   // console.c checked and masked its port already
    }
    if (!is_dom0()) {
        return 0;
    }
    return evtchn_bind_virq(VIRQ_CONSOLE, &port) ? CONSOLE_XEN : 0;
}

unsigned int console_input_source(void) {
    if (source < 0) {
        source = choose();
    }
    return source;
}

// Whatever input is there now, up to max bytes, without waiting.
static unsigned int read_now(char *dst, unsigned int max) {
    if (source == CONSOLE_XEN) {
        long n = HYPERVISOR_console_io(CONSOLEIO_read, max, dst);
        return n <= 0 ? 0 : (unsigned long)n < max ? (unsigned int)n : max;
    }
    unsigned int n = (unsigned int)xencons_in_read(ring, &in_own, dst, max);
    if (n) {
        evtchn_notify(port);   // room again
    }
    return n;
}

// Cheap: is there input that read_now() would take? Dom0 looks at the
// VIRQ_CONSOLE pending bit (set by each arrival) and clears it, as
// evtchn_wait would: what arrives after that sets it again.
static bool input_waiting(void) {
    if (source == CONSOLE_XEN) {
        return evtchn_test_and_clear(port);
    }
    return xencons_in_pending(ring, &in_own);
}

// Bytes one console_input_take() reads at most: the typed-ahead buffer and
// one whole ring (xencons' `in`) more. Whatever arrives beyond that was
// produced while we read; it waits in the ring for the next call.
#define TAKE_MAX (sizeof(buf) + sizeof(((struct xencons_interface *)0)->in))

bool console_input_take(int intr) {
    if (source <= 0 || !input_waiting()) {
        return false;
    }
    bool seen = false;
    for (size_t taken = 0; taken < TAKE_MAX;) {
        if (next == have) {
            next = have = 0;
        } else if (have == sizeof(buf) && next) {
            memmove(buf, buf + next, have - next);
            have -= next;
            next = 0;
        }
        char spill[64];
        bool room = have < sizeof(buf);
        char *dst = room ? buf + have : spill;
        unsigned int n = read_now(dst, room ? sizeof(buf) - have : sizeof(spill));
        if (!n) {
            return seen;
        }
        taken += n;
        unsigned int cut = 0;   // bytes of dst before and with the last intr
        for (unsigned int i = 0; i < n; i++) {
            if ((unsigned char)dst[i] == intr) {
                cut = i + 1;
                seen = true;
            }
        }
        if (!room) {
            overflow += n - cut;
            continue;
        }
        have += n;
        if (cut) {
            // like a terminal's interrupt: what was typed before it goes
            next = have - n + cut;
            memmove(buf, buf + next, have - next);
            have -= next;
            next = 0;
        }
    }
    return seen;
}

// Blocks for input; wakes at least every half watchdog timeout (when one
// is armed) to kick it: an idle prompt is not a hung monitor.
static void wait_input(void) {
    uint32_t wd = watchdog_timeout_s();
    uint64_t deadline = wd ? clock_now_ns() + (uint64_t)wd * 500000000ULL : INT64_MAX;
    evtchn_wait(port, deadline);
    watchdog_kick();
}

// The longest decimal of an unsigned long (64 bits: 20 digits).
#define ULONG_DIGITS 20
_Static_assert(sizeof(unsigned long) <= 8, "ULONG_DIGITS holds 64 bits");

// "<a><v><b>" to the console; line holds the worst case, v of 20 digits.
#define SAY_A "stubmon: repl: "
#define OVERFLOW_B " typed-ahead bytes dropped (more than 256 typed while a statement ran)\n"
#define RESYNC_B " times the console ring's input indexes were out of range: resynchronised\n"
#define SAY_MAX(b) (sizeof(SAY_A) - 1 + ULONG_DIGITS + sizeof(b) - 1)
_Static_assert(sizeof(buf) == 256, "OVERFLOW_B names the buffer's size");

static void say_count(unsigned long v, const char *b, size_t blen) {
    char line[SAY_MAX(OVERFLOW_B) > SAY_MAX(RESYNC_B) ? SAY_MAX(OVERFLOW_B) : SAY_MAX(RESYNC_B)];
    char num[ULONG_DIGITS], *p = num + sizeof(num);
    do {
        *--p = '0' + v % 10;
        v /= 10;
    } while (v);
    size_t len = 0, nl = (size_t)(num + sizeof(num) - p);
    memcpy(line, SAY_A, sizeof(SAY_A) - 1);
    len += sizeof(SAY_A) - 1;
    memcpy(line + len, p, nl);
    len += nl;
    memcpy(line + len, b, blen);
    len += blen;
    console_write(line, len);
}

int console_getc(void) {
    if (overflow) {
        say_count(overflow, OVERFLOW_B, sizeof(OVERFLOW_B) - 1);
        overflow = 0;
    }
    if (in_own.resyncs != resyncs_said) {
        resyncs_said = in_own.resyncs;   // since boot
        say_count(resyncs_said, RESYNC_B, sizeof(RESYNC_B) - 1);
    }
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
        // evtchn_wait before it returns: input landing between the
        // read and the poll leaves it set, so the poll returns at once.
        next = 0;
        have = read_now(buf, sizeof(buf));
        if (have) {
            next = 1;
            return (unsigned char)buf[0];
        }
        wait_input();
    }
}
