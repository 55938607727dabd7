# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (compiles C with the host's gcc)
"""The PV console ring code (port-xen/console.c, console_input.c and their
xencons_ring.h) against a console backend that races and breaks its
indexes: the two files are compiled for the host, unchanged, with
AddressSanitizer, and linked to a driver (below) that stands in for Xen,
the arch and the backend. The backend's index is read through
XENCONS_READ_INDEX, where the driver moves it on every read.

Each scenario runs in a process of its own under a timeout: a loop that
does not end fails it, as does a read or write outside the ring page or
a buffer (ASan), or a byte delivered out of order."""

import os
import shutil
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORT = os.path.join(TOP, 'port-xen')
XEN_INCLUDE = os.path.join(TOP, '.deps', 'pkg', 'libxen-dev-4.17', 'usr', 'include')

HOOKS = r'''
#include <stdint.h>
uint32_t test_read_index(const volatile void *p);
#define XENCONS_READ_INDEX(p) test_read_index(p)
'''

DRIVER = r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "console.h"
#include "console_input.h"
#include "evtchn.h"
#include "xencons_ring.h"

#define CHECK(c) do { \
        if (!(c)) { \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
            exit(1); \
        } \
} while (0)
#define RING_IN sizeof(page.r.in)
#define RING_OUT sizeof(page.r.out)

// the ring page, with canaries either side
static struct {
    unsigned char before[64];
    struct xencons_interface r;
    unsigned char after[64];
} page;
static evtchn_port_t ring_port_given = 7;

// --- the backend ---------------------------------------------------------
enum { IN_QUIET, IN_FLOOD, IN_JUMP, IN_BEHIND, IN_RANDOM };
enum { OUT_HONEST, OUT_SILENT, OUT_AHEAD_ONCE, OUT_BEHIND_ONCE, OUT_RANDOM, OUT_ON_WAIT };
static int in_mode = IN_QUIET, out_mode = OUT_HONEST;
static uint32_t in_seq;                       // next input byte's number
static unsigned long reads_in_prod, reads_in_cons, reads_out_prod, reads_out_cons;
static char captured[1 << 16];                // what the backend read from `out`
static size_t ncaptured;
static int out_broken_seen;                   // prod - cons was ever past the ring

static uint32_t rnd(void) {
    static uint32_t x = 2463534242u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

static char in_byte(uint32_t seq) {
    return 'a' + seq % 26;
}

static void produce(uint32_t n) {            // honest: n more input bytes
    uint32_t prod = page.r.in_prod;
    for (uint32_t i = 0; i < n; i++) {
        page.r.in[MASK_XENCONS_IDX(prod + i, page.r.in)] = in_byte(in_seq++);
    }
    page.r.in_prod = prod + n;
}

static uint32_t drain_max = UINT32_MAX;       // bytes one drain() takes at most
static void drain(void) {                     // honest: read all output
    uint32_t cons = page.r.out_cons, prod = page.r.out_prod, took = 0;
    if (prod - cons > RING_OUT) {
        out_broken_seen = 1;
        return;
    }
    while (cons != prod && ncaptured < sizeof(captured) - 1 && took++ < drain_max) {
        captured[ncaptured++] = page.r.out[MASK_XENCONS_IDX(cons++, page.r.out)];
    }
    page.r.out_cons = cons;
}

uint32_t test_read_index(const volatile void *p) {
    if (p == &page.r.in_prod) {
        reads_in_prod++;
        if (in_mode == IN_FLOOD) {
            produce(RING_IN - (page.r.in_prod - page.r.in_cons));   // always full
        } else if (in_mode == IN_JUMP) {
            page.r.in_prod = page.r.in_cons + RING_IN + 476;        // past a ring
        } else if (in_mode == IN_BEHIND) {
            page.r.in_prod = page.r.in_cons - 1;                    // behind us
        } else if (in_mode == IN_RANDOM) {
            page.r.in_prod = rnd();
            page.r.in_cons = rnd();
            page.r.in[rnd() % RING_IN] = (char)rnd();
        }
    } else if (p == &page.r.in_cons) {
        reads_in_cons++;
    } else if (p == &page.r.out_prod) {
        reads_out_prod++;
    } else if (p == &page.r.out_cons) {
        reads_out_cons++;
        if (out_mode == OUT_HONEST) {
            drain();
        } else if (out_mode == OUT_SILENT || out_mode == OUT_ON_WAIT) {
            // reads nothing this time (OUT_ON_WAIT: only when waited for)
        } else if (out_mode == OUT_AHEAD_ONCE) {
            page.r.out_cons = page.r.out_prod + 10;                 // ahead of the producer
            out_mode = OUT_HONEST;
        } else if (out_mode == OUT_BEHIND_ONCE) {
            page.r.out_cons = page.r.out_prod - RING_OUT - 1;       // more than a ring behind
            out_mode = OUT_HONEST;
        } else {
            page.r.out_cons = rnd();
            page.r.out_prod = rnd();
        }
    } else {
        CHECK(!"an index read outside the ring page");
    }
    return *(const volatile uint32_t *)p;
}

static void canaries(void) {
    for (size_t i = 0; i < sizeof(page.before); i++) {
        CHECK(page.before[i] == 0xa5 && page.after[i] == 0xa5);
    }
}

// --- the rest of the guest -------------------------------------------------
static int got_port;
void arch_mb(void) {
    __sync_synchronize();
}
void arch_rmb(void) {
    __sync_synchronize();
}
void arch_wmb(void) {
    __sync_synchronize();
}
bool arch_console_ring(struct xencons_interface **ring, evtchn_port_t *port) {
    *ring = &page.r;
    *port = ring_port_given;
    return true;
}
bool arch_has_debug_port(void) {
    return false;
}
void arch_debug_port_write(const char *s, size_t n) {
    CHECK(!"no debug port");
}
long xen_hypercall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
    unsigned long a4, unsigned long a5) {
    return -1;   // CONSOLEIO_write refused (a domU): the ring only; not dom0
}
void evtchn_mask(evtchn_port_t port) {
    CHECK(evtchn_port_valid(port));
    got_port = (int)port;
}
void evtchn_notify(evtchn_port_t port) {
    CHECK(evtchn_port_valid(port));
    if (in_mode == IN_FLOOD) {
        // "room again": the backend refills what was taken at once
        produce(RING_IN - (page.r.in_prod - page.r.in_cons));
    }
}
bool evtchn_test_and_clear(evtchn_port_t port) {
    return false;
}
bool evtchn_bind_virq(uint32_t virq, evtchn_port_t *port) {
    return false;
}
// Only the output side waits (for xenconsoled to take output), on the
// ring's channel; nothing taken: Xen's timer ends it at the deadline.
static unsigned long waits;
static uint64_t now_ns;
bool evtchn_wait(evtchn_port_t port, uint64_t deadline_ns) {
    CHECK(port == ring_port_given);
    waits++;
    if (out_mode == OUT_ON_WAIT) {
        drain();
        return true;
    }
    now_ns = deadline_ns;
    return false;
}
uint64_t clock_now_ns(void) {
    return now_ns;
}
uint32_t watchdog_timeout_s(void) {
    return 0;
}
void watchdog_kick(void) {
}

static void start(void) {
    memset(page.before, 0xa5, sizeof(page.before));
    memset(page.after, 0xa5, sizeof(page.after));
    console_init();
    CHECK(console_channels() == CONSOLE_RING);
    CHECK(console_input_source() == CONSOLE_RING);
}

static const char *said(void) {
    drain();
    captured[ncaptured] = 0;
    return captured;
}

// --- scenarios ----------------------------------------------------------------
// A backend that refills the ring at every look and at every notify: one
// take ends, having
// read a bounded amount; the buffer keeps the first bytes in order and
// the rest is said dropped, in one well-formed line.
static void flood(void) {
    start();
    in_mode = IN_FLOOD;
    produce(RING_IN);
    CHECK(!console_input_take(0x100));
    uint32_t taken = page.r.in_cons;
    CHECK(taken >= 256 + RING_IN && taken <= 256 + RING_IN + 256);
    CHECK(reads_in_prod < 64);
    in_mode = IN_QUIET;
    for (uint32_t i = 0; i < 256; i++) {
        CHECK(console_getc() == in_byte(i));
    }
    char want[128];
    snprintf(want, sizeof(want), "stubmon: repl: %u typed-ahead bytes dropped (more than 256 typed "
        "while a statement ran)\n", (unsigned)(taken - 256));
    CHECK(strcmp(said(), want) == 0);
}

// A producer index more than a ring ahead (or behind): nothing is read,
// our index takes the backend's, and it is said once.
static void broken_in(int mode) {
    start();
    produce(5);
    in_mode = mode;
    CHECK(!console_input_take(3));
    CHECK(page.r.in_cons == page.r.in_prod);   // resynchronised
    in_mode = IN_QUIET;
    in_seq = 0;
    produce(2);
    CHECK(console_getc() == 'a' && console_getc() == 'b');
    CHECK(strcmp(said(), "stubmon: repl: 1 times the console ring's input indexes were out of "
        "range: resynchronised\n") == 0);
}

// The backend scribbles over our consumer index: we go on from our own.
static void scribbled_in_cons(void) {
    start();
    produce(10);
    CHECK(console_getc() == 'a');
    page.r.in_cons = 12345;
    produce(5);
    for (uint32_t i = 1; i < 15; i++) {
        CHECK(console_getc() == in_byte(i));
    }
    CHECK(page.r.in_cons == page.r.in_prod);
}

// A consumer index ahead of the producer, or more than a ring behind:
// resynchronised, said before the next line, which arrives whole.
static void broken_out(int mode) {
    start();
    console_write("one\n", 4);
    CHECK(strcmp(said(), "one\n") == 0);
    ncaptured = 0;
    out_mode = mode;
    console_write("two\n", 4);
    CHECK(!out_broken_seen);
    CHECK(strcmp(said(), "stubmon: console: 1 times its indexes were out of range: ring "
        "resynchronised\ntwo\n") == 0);
}

// The backend scribbles over our producer index: the next line goes where
// ours says, and the shared index is rewritten to its end.
static void scribbled_out_prod(void) {
    start();
    console_write("one\n", 4);
    CHECK(strcmp(said(), "one\n") == 0);
    uint32_t ours = page.r.out_prod;
    out_mode = OUT_SILENT;
    page.r.out_prod = 999;
    console_write("three\n", 6);
    CHECK(page.r.out_prod == ours + 6);
    for (uint32_t i = 0; i < 6; i++) {
        CHECK(page.r.out[MASK_XENCONS_IDX(ours + i, page.r.out)] == "three\n"[i]);
    }
    out_mode = OUT_HONEST;
    ncaptured = 0;
    CHECK(strcmp(said(), "three\n") == 0);
}

// Garbage everywhere, on every read: every call ends, reads and writes
// stay inside the ring and the buffers, the room never exceeds the ring.
static void garbage(void) {
    start();
    in_mode = IN_RANDOM;
    out_mode = OUT_RANDOM;
    char line[300];
    for (int k = 0; k < 20000; k++) {
        console_input_take(3);
        size_t n = rnd() % sizeof(line);
        memset(line, 'x', n);
        line[n ? n - 1 : 0] = '\n';
        console_write(line, n ? n : 1);
        canaries();
    }
    // the header on its own: one read of the backend's index a call, ours never
    struct xencons_own in, out;
    xencons_own_init(&in, &page.r.in_cons);
    xencons_own_init(&out, &page.r.out_prod);
    char dst[2048 + 16];
    for (int k = 0; k < 100000; k++) {
        unsigned long a = reads_in_prod, b = reads_out_cons, c = reads_in_cons, d = reads_out_prod;
        size_t max = rnd() % 2048;
        memset(dst + max, 0x5a, 16);
        size_t got = xencons_in_read(&page.r, &in, dst, max);
        CHECK(got <= max && got <= RING_IN);
        for (int i = 0; i < 16; i++) {
            CHECK(dst[max + i] == 0x5a);
        }
        size_t room = xencons_out_room(&page.r, &out);
        CHECK(room <= RING_OUT);
        xencons_out_put(&page.r, &out, dst, room < got ? room : got);
        CHECK(reads_in_prod == a + 1 && reads_out_cons == b + 1);
        CHECK(reads_in_cons == c && reads_out_prod == d);
        canaries();
    }
    CHECK(in.resyncs > 0 && out.resyncs > 0);
}

// n lines of 100 bytes (20 of them leave 48 of the ring's 2048 free)
static void lines100(int n) {
    char line[100];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    for (int i = 0; i < n; i++) {
        console_write(line, sizeof(line));
    }
}

// A backend that takes nothing: a line that does not fit waits for it
// (200 ms of Xen's time), then is dropped and counted; the next is dropped
// at once; once a line fits, the line saying what was lost goes first,
// and a full ring waits again.
static void stalled(void) {
    start();
    out_mode = OUT_SILENT;
    lines100(20);
    CHECK(waits == 0);
    uint64_t t0 = now_ns;
    lines100(1);
    CHECK(waits > 0 && now_ns - t0 >= 200000000ULL);
    unsigned long w = waits;
    lines100(1);
    CHECK(waits == w);
    // 300 bytes taken: a gap a line fits, but not half the ring: dropped
    drain_max = 300;
    drain();
    drain_max = UINT32_MAX;
    lines100(1);
    out_mode = OUT_HONEST;
    console_write("after\n", 6);
    const char *got = said();
    const char *tail = "stubmon: console: 3 lines (300 bytes) dropped while the console ring was full\n"
        "after\n";
    CHECK(strlen(got) == 2000 + strlen(tail) && !strcmp(got + 2000, tail));
    out_mode = OUT_SILENT;
    lines100(21);
    CHECK(waits > w);
}

// A slow backend that takes output only when it is told and waited for
// (xenconsoled under load): twice what the ring holds, none of it lost.
static void slow(void) {
    start();
    out_mode = OUT_ON_WAIT;
    lines100(40);
    CHECK(waits > 0);
    const char *got = said();
    CHECK(strlen(got) == 4000 && !strstr(got, "dropped"));
}

// A ring whose event channel a 2-level shared_info cannot have: not used.
static void bad_port(void) {
    memset(page.before, 0xa5, sizeof(page.before));
    memset(page.after, 0xa5, sizeof(page.after));
    ring_port_given = EVTCHN_2L_NR_PORTS;
    console_init();
    CHECK(console_channels() == 0);
    CHECK(console_input_source() == 0);
    CHECK(!evtchn_port_valid(EVTCHN_2L_NR_PORTS) && evtchn_port_valid(EVTCHN_2L_NR_PORTS - 1));
    CHECK(EVTCHN_2L_NR_PORTS == 4096);
}

int main(int argc, char **argv) {
    const char *s = argc > 1 ? argv[1] : "";
    if (!strcmp(s, "flood")) {
        flood();
    } else if (!strcmp(s, "in_ahead")) {
        broken_in(IN_JUMP);
    } else if (!strcmp(s, "in_behind")) {
        broken_in(IN_BEHIND);
    } else if (!strcmp(s, "scribbled_in_cons")) {
        scribbled_in_cons();
    } else if (!strcmp(s, "out_ahead")) {
        broken_out(OUT_AHEAD_ONCE);
    } else if (!strcmp(s, "out_behind")) {
        broken_out(OUT_BEHIND_ONCE);
    } else if (!strcmp(s, "scribbled_out_prod")) {
        scribbled_out_prod();
    } else if (!strcmp(s, "garbage")) {
        garbage();
    } else if (!strcmp(s, "bad_port")) {
        bad_port();
    } else if (!strcmp(s, "stalled")) {
        stalled();
    } else if (!strcmp(s, "slow")) {
        slow();
    } else {
        fprintf(stderr, "unknown scenario %s\n", s);
        return 2;
    }
    canaries();
    puts("ok");
    return 0;
}
'''

SCENARIOS = [
    'flood',
    'in_ahead',
    'in_behind',
    'scribbled_in_cons',
    'out_ahead',
    'out_behind',
    'scribbled_out_prod',
    'garbage',
    'bad_port',
    'stalled',
    'slow',
]


@pytest.fixture(scope='module')
def ring_test(tmp_path_factory):
    gcc = shutil.which('gcc')
    if gcc is None or not os.path.isdir(XEN_INCLUDE):
        pytest.skip('needs gcc and the Xen headers (make deps)')
    d = tmp_path_factory.mktemp('ring')
    (d / 'hooks.h').write_text(HOOKS)
    (d / 'driver.c').write_text(DRIVER)
    exe = d / 'ring_test'
    cmd = [
        gcc,
        '-std=gnu99',
        '-Wall',
        '-Werror',
        '-Wno-unused-parameter',
        '-O1',
        '-g',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=all',
        '-fno-omit-frame-pointer',
        '-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__',
        '-I',
        PORT,
        '-I',
        XEN_INCLUDE,
        '-include',
        str(d / 'hooks.h'),
        os.path.join(PORT, 'console.c'),
        os.path.join(PORT, 'console_input.c'),
        str(d / 'driver.c'),
        '-o',
        str(exe),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    return str(exe)


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_ring_code_against_a_racing_backend(ring_test, scenario):
    try:
        r = subprocess.run(
            [ring_test, scenario],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'),
        )
    except subprocess.TimeoutExpired:
        raise AssertionError('%s: did not end (a loop the backend keeps going)' % scenario)
    assert r.returncode == 0 and r.stdout.strip() == 'ok', (r.stdout + r.stderr)[-4000:]
