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
// The ring never waits: xenconsoled may be slow or gone, and the monitor
// must go on. A piece of output goes into the ring only if all of it fits;
// otherwise its line is dropped to its newline and counted. A line longer
// than the line buffer goes out in pieces: while one is in progress room
// for CUT_MARK is kept, so that a piece that does not fit ends the line
// visibly instead of tearing it. Once there is room again, one line says
// how much was lost, before the next line.
//
// A poll's output is batched (console_batch): the Xen console gets it in
// BATCH-sized CONSOLEIO_writes instead of one a line, and the ring's event
// channel is notified once the ring is half full or the batch ends, not per
// line. console_flush() (before every sleep, shutdown or exit) sends all.
#include <string.h>

#include "arch.h"
#include "barrier.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"

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

#define CUT_MARK " [cut: console full]\n"
#define CUT_LEN (sizeof(CUT_MARK) - 1)

// Where the ring output stands within the current line.
static enum { AT_START, IN_LINE, DROPPING } ring_state;
static unsigned long dropped_lines, dropped_bytes;     // since boot
static unsigned long unsaid_lines, unsaid_bytes;       // since the last report

// Bytes the ring has room for now (xenconsoled moves out_cons).
static size_t ring_room(void) {
    XENCONS_RING_IDX cons = *(volatile XENCONS_RING_IDX *)&ring->out_cons;
    XENCONS_RING_IDX prod = ring->out_prod;
    mb();   // read cons before overwriting what it freed
    return sizeof(ring->out) - (size_t)(prod - cons);
}

// Caller checked ring_room(): never more than fits.
static void ring_put(const char *s, size_t n) {
    XENCONS_RING_IDX prod = ring->out_prod;
    for (size_t i = 0; i < n; i++) {
        ring->out[MASK_XENCONS_IDX(prod++, ring->out)] = s[i];
    }
    wmb();
    ring->out_prod = prod;
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

// "stubmon: console: N lines (M bytes) dropped while the console ring was full\n"
static size_t report_text(char *out) {
    char n[24], m[24];
    char *ns = utoa_end(n + sizeof(n), unsaid_lines);
    char *ms = utoa_end(m + sizeof(m), unsaid_bytes);
    size_t len = 0;
#define ADD(p, l) (memcpy(out + len, (p), (l)), len += (l))
    ADD("stubmon: console: ", 18);
    ADD(ns, (size_t)(n + sizeof(n) - ns));
    ADD(" lines (", 8);   // always "lines": the text is what tests match
    ADD(ms, (size_t)(m + sizeof(m) - ms));
    static const char tail[] = " bytes) dropped while the console ring was full\n";
    ADD(tail, sizeof(tail) - 1);
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
    size_t room = ring_room();
    if (ring_state == AT_START && unsaid_lines) {
        // said only with the line that follows it, or the report itself
        // could take the room a line needs, report after report
        char report[128];
        size_t rn = report_text(report);
        if (rn + need > room) {
            ring_lost(n, true);
            ring_state = ends ? AT_START : DROPPING;
            return;
        }
        ring_put(report, rn);
        unsaid_lines = unsaid_bytes = 0;
        room -= rn;
    }
    if (need <= room) {
        ring_put(s, n);
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
    if (ring || arch_console_ring(&ring, &ring_port)) {
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
    if (!ring && !arch_console_ring(&ring, &ring_port)) {
        return false;
    }
    evtchn_mask(ring_port);
    *r = ring;
    *p = ring_port;
    return true;
}
