// SPDX-License-Identifier: MIT
// The console: line-buffered output to one or more channels.
//  xen   CONSOLEIO_write: the Xen console (serial). Dom0 may; a domU may only
//        where Xen allows it (XSM/FLASK, arm64 dom0less), and a release Xen
//        shows a domU's writes only with guest_loglvl=all.
//  ring  the PV console ring, read by xenconsoled (`xl console`, its log).
//  e9    the debug port Xen echoes as "(dN) ..." (x86 PVH/HVM only).
// At start-up (console=auto): the ring wherever it exists, plus xen where
// permitted, else e9 where it exists (see console_init). Before that, as
// Mini-OS does until its console is up, output goes to the Xen console, or
// where that is refused to e9: early lines (boot errors) are not lost.
//
// The ring waits a little, never long: xenconsoled may be slow or gone,
// and the monitor must go on. A piece of output that does not fit waits
// for xenconsoled (it notifies the ring's channel as it takes output),
// RING_WAIT_NS at most; if it still does not fit the ring is stalled: its
// line is dropped to its newline and counted, and nothing waits again
// until a piece fits (a dead xenconsoled costs one wait). After a drop
// nothing goes in until the ring has drained to half. A line longer
// than the line buffer goes out in pieces: while one is in progress room
// for CUT_MARK is kept, so that a piece that does not fit ends the line
// visibly instead of tearing it. Once there is room again, one line says
// how much was lost, before the next line.
//
// The ring's indexes (xencons_ring.h): our out_prod is a private copy, the
// backend's out_cons is read once per look and must be at most a ring
// behind it; otherwise the ring is broken, we resynchronise on out_cons,
// count it and say so (like lost lines) before the next line.
//
// A poll's output is batched (console_batch): the Xen console gets it in
// BATCH-sized CONSOLEIO_writes instead of one a line, and the ring's event
// channel is notified once the ring is half full or the batch ends, not per
// line. console_flush() (before every sleep, shutdown or exit) sends all.
#include <string.h>

#include "arch.h"
#include "barrier.h"
#include "clock.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "xencons_ring.h"

static char line[256];
static size_t used;
// The Xen console's side of a batch: whole lines, \r\n already made \n.
static char batch[4096];
static size_t batched;
static bool batching;
static bool ring_unnotified;   // ring output since the last notify (batching)
static unsigned int channels;
static bool up;            // console_init() has picked the channels
static bool early_xen_refused;
static struct xencons_interface *ring;
static evtchn_port_t ring_port;
static struct xencons_own out_own;        // out_prod, ours (xencons_ring.h)
static unsigned long resyncs_said;        // out_own.resyncs already reported

#define CUT_MARK " [cut: console full]\n"
#define CUT_LEN (sizeof(CUT_MARK) - 1)
// A burst (the start-up lines, a FLASK hint, poll 1's table) can be more
// than the 2 KiB ring holds before xenconsoled under load takes any.
#define RING_WAIT_NS 200000000ULL
static bool ring_stalled;   // a wait ran out: none until a piece fits

// Where the ring output stands within the current line.
static enum { AT_START, IN_LINE, DROPPING } ring_state;
static unsigned long dropped_lines, dropped_bytes;     // since boot
static unsigned long unsaid_lines, unsaid_bytes;       // since the last report

// The domain's PV console ring, once: its event channel must be one a
// 2-level shared_info has (evtchn.h), our producer index is read from the
// page this once and kept privately from then on.
static bool ring_find(void) {
    if (ring) {
        return true;
    }
    struct xencons_interface *r;
    evtchn_port_t p;
    if (!arch_console_ring(&r, &p) || !evtchn_port_valid(p)) {
        return false;
    }
    xencons_own_init(&out_own, &r->out_prod);
    ring_port = p;
    ring = r;
    return true;
}

// Bytes the ring has room for now (xenconsoled moves out_cons).
static size_t ring_room(void) {
    return xencons_out_room(ring, &out_own);
}

// Room for `need` bytes, waiting for xenconsoled as said above.
static size_t ring_room_for(size_t need) {
    size_t room = ring_room();
    if (room >= need || ring_stalled) {
        return room;
    }
    evtchn_notify(ring_port);   // what is in it, to take now
    uint64_t until = clock_now_ns() + RING_WAIT_NS;
    while ((room = ring_room()) < need) {
        if (clock_now_ns() >= until) {
            ring_stalled = true;
            break;
        }
        evtchn_wait(ring_port, until);
    }
    return room;
}

// Caller checked ring_room(): never more than fits.
static void ring_put(const char *s, size_t n) {
    xencons_out_put(ring, &out_own, s, n);
}

static void ring_notify(void) {
    // batching: once the ring is half full xenconsoled is told, so that it
    // drains while the rest goes in; the rest waits for the batch's end
    if (batching && ring_room() > sizeof(ring->out) / 2) {
        ring_unnotified = true;
        return;
    }
    ring_unnotified = false;
    evtchn_notify(ring_port);
}

static unsigned long xen_writes;   // CONSOLEIO_write hypercalls since console_init

static void xen_write(const char *s, size_t n) {
    xen_writes++;
    HYPERVISOR_console_io(CONSOLEIO_write, n, s);
}

static void batch_drain(void) {
    if (batched) {
        xen_write(batch, batched);
        batched = 0;
    }
    if (ring_unnotified) {
        ring_unnotified = false;
        evtchn_notify(ring_port);
    }
}

// Xen's serial console puts a \r before each \n itself: the one
// MicroPython sends (\r\n) would end every line \r\r\n on the wire.
static void xen_line(const char *s, size_t n) {
    size_t keep = n;
    bool crlf = n >= 2 && s[n - 1] == '\n' && s[n - 2] == '\r';
    if (crlf) {
        keep = n - 2;
    }
    if (!batching) {
        if (!crlf) {
            xen_write(s, n);
            return;
        }
        char *l = (char *)s;   // the line buffer: \r\n -> \n for this write only
        l[n - 2] = '\n';
        xen_write(l, n - 1);
        l[n - 2] = '\r';
        return;
    }
    if (batched + keep + 1 > sizeof(batch)) {
        xen_write(batch, batched);
        batched = 0;
    }
    memcpy(batch + batched, s, keep);
    batched += keep;
    if (crlf) {
        batch[batched++] = '\n';
    }
}

// Decimal of v into the end of buf; returns where it starts.
static char *utoa_end(char *end, unsigned long v) {
    do {
        *--end = '0' + v % 10;
        v /= 10;
    } while (v);
    return end;
}

// The longest decimal of an unsigned long (64 bits: 20 digits).
#define ULONG_DIGITS 20
_Static_assert(sizeof(unsigned long) <= 8, "ULONG_DIGITS holds 64 bits");

#define REPORT_HEAD "stubmon: console: "
#define REPORT_LINES " lines ("
#define REPORT_TAIL " bytes) dropped while the console ring was full\n"
#define RESYNC_TAIL " times its indexes were out of range: ring resynchronised\n"
#define REPORT_MAX (sizeof(REPORT_HEAD) - 1 + ULONG_DIGITS + sizeof(REPORT_LINES) - 1 \
    + ULONG_DIGITS + sizeof(REPORT_TAIL) - 1)
#define RESYNC_MAX (sizeof(REPORT_HEAD) - 1 + ULONG_DIGITS + sizeof(RESYNC_TAIL) - 1)

// "stubmon: console: N lines (M bytes) dropped while the console ring was full\n"
// into out, which holds REPORT_MAX bytes at least
static size_t report_text(char *out) {
    char n[ULONG_DIGITS], m[ULONG_DIGITS];
    char *ns = utoa_end(n + sizeof(n), unsaid_lines);
    char *ms = utoa_end(m + sizeof(m), unsaid_bytes);
    size_t len = 0;
#define ADD(p, l) (memcpy(out + len, (p), (l)), len += (l))
    ADD(REPORT_HEAD, sizeof(REPORT_HEAD) - 1);
    ADD(ns, (size_t)(n + sizeof(n) - ns));
    ADD(REPORT_LINES, sizeof(REPORT_LINES) - 1);   // always "lines": the text is what tests match
    ADD(ms, (size_t)(m + sizeof(m) - ms));
    ADD(REPORT_TAIL, sizeof(REPORT_TAIL) - 1);
    return len;
}

// "stubmon: console: N times its indexes were out of range: ring resynchronised\n"
// (N since boot) into out, which holds RESYNC_MAX bytes at least
static size_t resync_text(char *out) {
    char n[ULONG_DIGITS];
    char *ns = utoa_end(n + sizeof(n), out_own.resyncs);
    size_t len = 0;
    ADD(REPORT_HEAD, sizeof(REPORT_HEAD) - 1);
    ADD(ns, (size_t)(n + sizeof(n) - ns));
    ADD(RESYNC_TAIL, sizeof(RESYNC_TAIL) - 1);
#undef ADD
    return len;
}

static void ring_lost(size_t n, bool whole_line) {
    dropped_bytes += n;
    unsaid_bytes += n;
    if (whole_line) {
        dropped_lines++;
        unsaid_lines++;
    }
}

// One flushed piece of output: a whole line, the start or a continuation
// of a long line, or a line's unfinished part (a prompt, before a sleep).
static void ring_write(const char *s, size_t n) {
    bool ends = s[n - 1] == '\n';
    if (ring_state == DROPPING) {
        ring_lost(n, false);   // its line is counted already
        ring_state = ends ? AT_START : DROPPING;
        return;
    }
    // a piece that leaves its line open must leave room to cut it
    size_t need = n + (ends ? 0 : CUT_LEN);
    size_t room = ring_room();   // a broken ring is resynchronised here
    char report[REPORT_MAX + RESYNC_MAX];
    size_t rn = 0;
    if (ring_state == AT_START) {
        if (out_own.resyncs != resyncs_said) {
            rn += resync_text(report);
        }
        if (unsaid_lines) {
            rn += report_text(report + rn);
        }
    }
    // after a drop, nothing more until the ring has drained to half: a
    // gap a stalled backend leaves would take a report and a line, then
    // the next drop another report (one report a stall, lines whole)
    size_t want = rn + need;
    if (unsaid_lines && want < sizeof(ring->out) / 2) {
        want = sizeof(ring->out) / 2;
    }
    if (room < want) {
        room = ring_room_for(want);
    }
    if (rn) {
        // said only with the line that follows it, or the report itself
        // could take the room a line needs, report after report
        if (want > room) {
            ring_lost(n, true);
            ring_state = ends ? AT_START : DROPPING;
            return;
        }
        ring_put(report, rn);
        unsaid_lines = unsaid_bytes = 0;
        resyncs_said = out_own.resyncs;
        room -= rn;
    }
    if (need <= room) {
        ring_put(s, n);
        ring_stalled = false;
        ring_state = ends ? AT_START : IN_LINE;
    } else if (ring_state == IN_LINE) {
        // room for the mark was kept when the line's last piece went in
        ring_put(CUT_MARK, CUT_LEN);
        ring_lost(n, true);
        ring_state = ends ? AT_START : DROPPING;
    } else {
        ring_lost(n, true);
        ring_state = ends ? AT_START : DROPPING;
        return;   // nothing new in the ring
    }
    ring_notify();
}

// Before console_init(): one refused CONSOLEIO_write is enough to know
// (under FLASK each refusal is an avc line in Xen's log).
static void early_write(const char *s, size_t n) {
    if (!early_xen_refused && HYPERVISOR_console_io(CONSOLEIO_write, n, s) == 0) {
        return;
    }
    early_xen_refused = true;
    if (arch_has_debug_port()) {
        arch_debug_port_write(s, n);
    }
}

// The line buffer to the channels (into the batch, when batching).
static void line_out(void) {
    if (!used) {
        return;
    }
    if (!up) {
        early_write(line, used);
        used = 0;
        return;
    }
    if (channels & CONSOLE_XEN) {
        xen_line(line, used);
    }
    if (channels & CONSOLE_RING) {
        ring_write(line, used);
    }
    if (channels & CONSOLE_E9) {
        arch_debug_port_write(line, used);
    }
    used = 0;
}

void console_flush(void) {
    line_out();
    batch_drain();
}

void console_batch(bool on) {
    if (!on) {
        console_flush();
    }
    batching = on;
}

void console_write(const char *s, size_t n) {
    while (n--) {
        char c = *s++;
        line[used++] = c;
        if (c == '\n' || used == sizeof(line)) {
            line_out();
        }
    }
}

unsigned int console_available(void) {
    unsigned int have = 0;
    // A zero-length write checks the permission and nothing else.
    if (HYPERVISOR_console_io(CONSOLEIO_write, 0, "") == 0) {
        have |= CONSOLE_XEN;
    }
    if (ring_find()) {
        have |= CONSOLE_RING;
    }
    if (arch_has_debug_port()) {
        have |= CONSOLE_E9;
    }
    return have;
}

void console_init(void) {
    console_flush();   // an early line's unfinished part, the early way
    up = true;
    unsigned int have = console_available();
    // The ring is what `xl console` and xenconsoled's log show, whatever
    // Xen's log levels: always, where there is one. The Xen console too
    // where permitted (dom0 has nothing else); where it is not, e9 (which
    // Xen prints like a domU's Xen console writes) where it exists.
    unsigned int serial = (have & CONSOLE_XEN) ? CONSOLE_XEN : (have & CONSOLE_E9);
    channels = (have & CONSOLE_RING) | serial;
    if (channels & CONSOLE_RING) {
        evtchn_mask(ring_port);
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
        evtchn_mask(ring_port);
    }
    return true;
}

unsigned long console_dropped(void) {
    return dropped_lines;
}

unsigned long console_xen_writes(void) {
    return xen_writes;
}

bool console_ring_get(struct xencons_interface **r, evtchn_port_t *p) {
    if (!ring_find()) {
        return false;
    }
    evtchn_mask(ring_port);
    *r = ring;
    *p = ring_port;
    return true;
}
