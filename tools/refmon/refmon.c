// SPDX-License-Identifier: MIT
// refmon: the bare C reference monitor make bench compares stubmon with
// (docs/benchmarks.md, "The C reference monitor"; issue 23). It is the
// port's own boot heads, hypercall stub, console, clock, event channels,
// watchdog and shutdown (port-xen/, built from their paths by
// tools/refmon/Makefile) with this file in place of MicroPython: every
// `interval` seconds it lists the domains (XEN_SYSCTL_getdomaininfolist,
// batches of 64), reads the host (physinfo, getcpuinfo) and prints the
// monitor's table through the same console, batched the same way, then
// blocks in SCHEDOP_poll to the next point of the same grid, woken early
// by VIRQ_DOM_EXC to list the domains and say what changed.
//
// Its lines have the monitor's shapes and words (monitor/stubmon/table.py,
// docs/table.md): the poll, host and domains lines, the column titles and
// one row per domain with the same columns and widths, the end line, the
// event lines, and with stats= the stats line and after poll 1 the boot
// stamps, so that the same parsers (the exporter's consolelog, make
// bench) read both. Its own lines start with "refmon:".
//
// Options (the kernel command line): interval=S (seconds, decimals
// allowed, at least 0.1; 3), count=N (0: for ever), stats=0|1|3 (3:
// polls 1, 2 and the last only, as the monitor's), watchdog=S (default 4
// intervals, at least 30; 0 off), exit=qemu (the test exit; default: a
// Xen power-off). Anything else is said and ignored.
//
// Layouts: the public headers of one release (XEN_INCLUDE, the port's),
// which lay out every struct used here as every release from 4.17 to
// 4.22 does on x86_64 and arm64 (checked below); only the sysctl
// interface version differs (0x15 up to 4.20, 0x16 from 4.21), probed at
// start like the monitor's.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <xen/errno.h>
#include <xen/sysctl.h>

#include "arch.h"
#include "bootstamp.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"
#include "shutdown.h"
#include "watchdog.h"

// What every release 4.17 to 4.22 shares, on both arches (their public
// headers, compiled for x86_64 and aarch64): a header that differs stops
// the build here.
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl");
_Static_assert(offsetof(struct xen_sysctl, u) == 8, "xen_sysctl payload");
_Static_assert(offsetof(struct xen_sysctl_getdomaininfolist, num_domains) == 16, "gdil");
_Static_assert(offsetof(struct xen_domctl_getdomaininfo, cpu_time) == 56, "getdomaininfo");
_Static_assert(offsetof(struct xen_domctl_getdomaininfo, cpupool) == 92, "getdomaininfo");
#if defined(__aarch64__)
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 120, "getdomaininfo record");
#else
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 112, "getdomaininfo record");
#endif
_Static_assert(offsetof(struct xen_sysctl_physinfo, free_pages) == 48, "physinfo");
_Static_assert(offsetof(struct xen_sysctl_getcpuinfo, nr_cpus) == 16, "getcpuinfo");
_Static_assert(XEN_SYSCTL_INTERFACE_VERSION == 0x15 || XEN_SYSCTL_INTERFACE_VERSION == 0x16,
    "a sysctl interface version whose layouts were checked");

#define MAX_DOMAINS 1024    // rows a poll holds (the rest are counted, not shown)
#define BATCH 64            // records a getdomaininfolist call asks for
#define MAX_PCPUS 256
#define EVENT_LISTINGS 8    // event listings per interval at most (the monitor's)
#define MS 1000000ULL
#define S_NS 1000000000ULL

static const uint32_t sysctl_versions[] = { 0x15, 0x16 };
static uint32_t sysctl_version;   // 0: none confirmed

static struct xen_sysctl sc;
static struct xen_domctl_getdomaininfo recs[MAX_DOMAINS];
static struct xen_sysctl_cpuinfo cpus[MAX_PCPUS];

// options
static uint64_t step_ns = 3 * S_NS;
static unsigned count, stats;
static long watchdog_s = -1;   // -1: 4 intervals, at least 30 s
static bool exit_qemu;

static char version[40];   // "4.20.5-pre"
static uint64_t first_line_ns, first_row_ns;
static unsigned errors, kicks, listings;

// --- output: one line at a time into `out`, then to the console -----------
static char out[256];
static size_t olen;

static void put(const char *s, size_t n) {
    if (n > sizeof(out) - 1 - olen) {
        n = sizeof(out) - 1 - olen;
    }
    memcpy(out + olen, s, n);
    olen += n;
}

static void puts_(const char *s) {
    put(s, strlen(s));
}

// The decimal of v at the start of buf (20 bytes at least); its length.
static size_t utoa(char *buf, uint64_t v) {
    char tmp[20], *p = tmp + sizeof(tmp);
    do {
        *--p = '0' + v % 10;
        v /= 10;
    } while (v);
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(buf, p, n);
    return n;
}

static void put_u(uint64_t v) {
    char b[20];
    put(b, utoa(b, v));
}

// tenths as "12.3"
static void put_tenths(uint64_t t) {
    put_u(t / 10);
    char c[2] = { '.', (char)('0' + t % 10) };
    put(c, 2);
}

static void put_hex(uint32_t v) {
    char b[10] = "0x";
    int n = 2;
    for (int s = 28; s >= 0; s -= 4) {
        if ((v >> s) || s == 0 || n > 2) {
            b[n++] = "0123456789abcdef"[(v >> s) & 15];
        }
    }
    put(b, n);
}

static void line(void) {
    out[olen++] = '\n';
    console_write(out, olen);
    olen = 0;
}

static void say(const char *s) {
    puts_(s);
    line();
}

// --- hypercalls -----------------------------------------------------------
static long sysctl(uint32_t cmd) {
    sc.cmd = cmd;
    sc.interface_version = sysctl_version;
    long rc = HYPERVISOR_sysctl(&sc);
    if (rc < 0) {
        errors++;
    }
    return rc;
}

// The sysctl interface version of this Xen: a wrong one is refused with
// -EACCES before any permission check (XSA-499: a FLASK denial too).
static void probe(void) {
    for (size_t i = 0; i < sizeof(sysctl_versions) / sizeof(sysctl_versions[0]); i++) {
        memset(&sc, 0, sizeof(sc));
        sc.cmd = XEN_SYSCTL_physinfo;
        sc.interface_version = sysctl_versions[i];
        if (HYPERVISOR_sysctl(&sc) != -XEN_EACCES) {
            sysctl_version = sysctl_versions[i];
            puts_("refmon: interfaces sysctl ");
            put_hex(sysctl_version);
            line();
            return;
        }
    }
    say("refmon: no sysctl interface version answered (0x15, 0x16): the domains are not listed");
}

// Every domain into recs (sorted by domid, as Xen gives them); the count,
// or -errno. *more: domains past MAX_DOMAINS left out.
static long list_domains(bool *more) {
    unsigned n = 0, first = 0;
    *more = false;
    if (!sysctl_version) {
        return -XEN_EACCES;
    }
    for (;;) {
        uint32_t max = MAX_DOMAINS - n < BATCH ? MAX_DOMAINS - n : BATCH;
        if (!max) {
            *more = true;   // (or exactly MAX_DOMAINS: not asked)
            return n;
        }
        memset(&sc, 0, sizeof(sc));
        sc.u.getdomaininfolist.first_domain = (domid_t)first;
        sc.u.getdomaininfolist.max_domains = max;
        set_xen_guest_handle(sc.u.getdomaininfolist.buffer, recs + n);
        long rc = sysctl(XEN_SYSCTL_getdomaininfolist);
        if (rc < 0) {
            return rc;
        }
        uint32_t got = sc.u.getdomaininfolist.num_domains;
        n += got < max ? got : max;
        if (got < max) {
            return n;
        }
        unsigned last = recs[n - 1].domain;
        if (last + 1 <= first || last + 1 >= DOMID_FIRST_RESERVED) {
            return n;
        }
        first = last + 1;
    }
}

// --- what a record shows (monitor/stubmon/record.py) ----------------------
enum { RUNNING, BLOCKED, PAUSED, CRASHED, DYING, SHUTDOWN };
static const char *const summary_names[] = { "running", "blocked", "paused", "crashed", "dying", "shutdown" };
static const char *const reason_names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };
#define REASONS (sizeof(reason_names) / sizeof(reason_names[0]))

// status: kind in the high byte (enum above), shutdown reason in the low
static unsigned status_of(uint32_t flags) {
    unsigned reason = (flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
    if (flags & XEN_DOMINF_dying) {
        return DYING << 8;
    }
    if (flags & XEN_DOMINF_shutdown) {
        return reason == SHUTDOWN_crash ? CRASHED << 8 : (SHUTDOWN << 8) | reason;
    }
    return (flags & XEN_DOMINF_paused ? PAUSED : flags & XEN_DOMINF_blocked ? BLOCKED : RUNNING) << 8;
}

static void put_status(unsigned st) {
    puts_(summary_names[st >> 8]);
    if (st >> 8 == SHUTDOWN) {
        puts_(" (");
        if ((st & 255) < REASONS) {
            puts_(reason_names[st & 255]);
        } else {
            puts_("reason ");
            put_u(st & 255);
        }
        puts_(")");
    }
}

// --- domain events: the last listing's (domid, status), merged ------------
static uint16_t known_id[MAX_DOMAINS];
static uint16_t known_st[MAX_DOMAINS];
static unsigned known_n;
static bool known_set;

static void event_head(uint64_t now, unsigned domid) {
    uint64_t ms = now / MS;
    char frac[4] = { '.', (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10), (char)('0' + ms % 10) };
    puts_("stubmon event ");
    put_u(ms / 1000);
    put(frac, 4);
    puts_("s: domain ");
    put_u(domid);
    puts_(" ");
}

// Event lines for recs[0..n) against the last listing (appeared and
// changed first, then gone, each in domid order), which they replace.
static void events(unsigned n, uint64_t now) {
    static uint16_t gone[MAX_DOMAINS];
    unsigned ngone = 0, k = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned id = recs[i].domain, st = status_of(recs[i].flags);
        while (k < known_n && known_id[k] < id) {
            gone[ngone++] = k++;
        }
        bool had = k < known_n && known_id[k] == id;
        if (known_set && (!had || known_st[k] != st)) {
            event_head(now, id);
            if (had) {
                put_status(known_st[k]);
                puts_(" -> ");
                put_status(st);
            } else {
                puts_("appeared (");
                put_status(st);
                puts_(")");
            }
            line();
        }
        k += had;
    }
    while (k < known_n) {
        gone[ngone++] = k++;
    }
    for (unsigned g = 0; known_set && g < ngone; g++) {
        event_head(now, known_id[gone[g]]);
        puts_("gone (was ");
        put_status(known_st[gone[g]]);
        puts_(")");
        line();
    }
    for (unsigned i = 0; i < n; i++) {
        known_id[i] = recs[i].domain;
        known_st[i] = status_of(recs[i].flags);
    }
    known_n = n;
    known_set = true;
}

// --- one poll ---------------------------------------------------------------
// CPU %: each domain's CPU time at the previous poll (record.Figures)
static uint16_t fig_id[MAX_DOMAINS];
static uint64_t fig_cpu[MAX_DOMAINS];
static unsigned fig_n;
static uint64_t fig_at;
static int32_t cpu_pct[MAX_DOMAINS];   // tenths, -1: none
// busy %: each pCPU's idle time at the previous poll (pcpus.py)
static uint64_t idle_prev[MAX_PCPUS];
static unsigned idle_n;
static uint64_t idle_at;

static int32_t tenths(uint64_t part, uint64_t whole) {
    return whole ? (int32_t)((part * 1000 + whole / 2) / whole) : -1;
}

static void cpu_figures(unsigned n, uint64_t now) {
    uint64_t wall = now - fig_at;
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        while (k < fig_n && fig_id[k] < recs[i].domain) {
            k++;
        }
        bool had = k < fig_n && fig_id[k] == recs[i].domain && recs[i].cpu_time >= fig_cpu[k];
        cpu_pct[i] = had ? tenths(recs[i].cpu_time - fig_cpu[k], wall) : -1;
    }
    for (unsigned i = 0; i < n; i++) {
        fig_id[i] = recs[i].domain;
        fig_cpu[i] = recs[i].cpu_time;
    }
    fig_n = n;
    fig_at = now;
}

// The host, as the monitor reads it before its listing: physinfo, then
// getcpuinfo for the pCPUs' busy % since the previous poll.
static struct {
    bool ok;
    uint64_t total_kib, free_kib;
    uint32_t nr_cpus, mhz;
    int32_t busy;   // tenths, -1: none yet
} h;

static void read_host(void) {
    h.ok = false;
    if (!sysctl_version) {
        return;
    }
    memset(&sc, 0, sizeof(sc));
    if (sysctl(XEN_SYSCTL_physinfo) < 0) {
        return;
    }
    h.ok = true;
    h.total_kib = sc.u.physinfo.total_pages * 4;
    h.free_kib = sc.u.physinfo.free_pages * 4;
    h.nr_cpus = sc.u.physinfo.nr_cpus;
    h.mhz = sc.u.physinfo.cpu_khz / 1000;
    h.busy = -1;
    unsigned want = sc.u.physinfo.max_cpu_id + 1;
    want = want < MAX_PCPUS ? want : MAX_PCPUS;
    memset(&sc, 0, sizeof(sc));
    sc.u.getcpuinfo.max_cpus = want;
    set_xen_guest_handle(sc.u.getcpuinfo.info, cpus);
    long rc = sysctl(XEN_SYSCTL_getcpuinfo);
    uint64_t now = clock_now_ns();
    unsigned got = rc < 0 ? 0 : sc.u.getcpuinfo.nr_cpus < want ? sc.u.getcpuinfo.nr_cpus : want;
    if (got && got == idle_n && now > idle_at) {
        uint64_t sum = 0, wall = now - idle_at;
        for (unsigned i = 0; i < got; i++) {
            int64_t t = 1000 - (int64_t)((cpus[i].idletime - idle_prev[i]) * 1000 / wall);
            sum += t < 0 ? 0 : t > 1000 ? 1000 : t;
        }
        h.busy = (int32_t)(sum / got);
    }
    for (unsigned i = 0; i < got; i++) {
        idle_prev[i] = cpus[i].idletime;
    }
    idle_n = got;
    idle_at = now;
}

static void host_line(void) {
    puts_("stubmon host: Mem: ");
    put_u(h.total_kib);
    puts_("k total, ");
    put_u(h.total_kib - h.free_kib);
    puts_("k used, ");
    put_u(h.free_kib);
    puts_("k free, CPUs: ");
    put_u(h.nr_cpus);
    puts_(" @ ");
    put_u(h.mhz);
    puts_("MHz");
    if (h.busy >= 0) {
        puts_(", busy ");
        put_tenths(h.busy);
        puts_("%");
    }
    line();
}

// The columns (monitor/stubmon/columns.py): title, least width, left aligned.
static const struct {
    const char *title;
    uint8_t width;
    bool left;
} cols[] = {
    { "ID", 5, false }, { "State", 6, true }, { "Mem(MiB)", 11, false }, { "MaxMem(MiB)", 11, false },
    { "VCPUs", 5, false }, { "Time(s)", 8, false }, { "CPU(%)", 6, false }, { "MEM(%)", 6, false },
    { "SSID", 4, false }, { "Pool", 4, false }, { "UUID", 36, true },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static size_t tenths_text(char *buf, uint64_t v) {
    size_t n = utoa(buf, v / 10);
    buf[n] = '.';
    buf[n + 1] = '0' + v % 10;
    return n + 2;
}

// Column c of domain i as text into buf (at least 40 bytes); its length.
static size_t cell(unsigned c, unsigned i, char *buf) {
    const struct xen_domctl_getdomaininfo *d = &recs[i];
    uint32_t f = d->flags;
    unsigned reason = (f >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
    int32_t pct;
    switch (c) {
        case 0:
            return utoa(buf, d->domain);
        case 1:
            buf[0] = f & XEN_DOMINF_running ? 'r' : '-';
            buf[1] = f & XEN_DOMINF_blocked ? 'b' : '-';
            buf[2] = f & XEN_DOMINF_paused ? 'p' : '-';
            buf[3] = f & XEN_DOMINF_shutdown ? 's' : '-';
            buf[4] = !(f & XEN_DOMINF_shutdown) ? '-' : reason < 6 ? "-rscwS"[reason] : '?';
            buf[5] = f & XEN_DOMINF_dying ? 'd' : '-';
            return 6;
        case 2:
            return utoa(buf, d->tot_pages >> 8);
        case 3:
            if (d->max_pages >= 0xffffffffULL) {
                buf[0] = '-';
                return 1;
            }
            return utoa(buf, d->max_pages >> 8);
        case 4:
            return utoa(buf, d->nr_online_vcpus);
        case 5:
            return tenths_text(buf, (d->cpu_time + 50000000) / 100000000);
        case 6:
        case 7:
            pct = c == 6 ? cpu_pct[i] : h.ok ? tenths(d->tot_pages * 4, h.total_kib) : -1;
            if (pct < 0) {
                buf[0] = '-';
                return 1;
            }
            return tenths_text(buf, (uint64_t)pct);
        case 8:
            return utoa(buf, d->ssidref);
        case 9:
            return utoa(buf, d->cpupool);
        default: {
            size_t n = 0;
            for (unsigned b = 0; b < 16; b++) {
                if (b == 4 || b == 6 || b == 8 || b == 10) {
                    buf[n++] = '-';
                }
                buf[n++] = "0123456789abcdef"[d->handle[b] >> 4];
                buf[n++] = "0123456789abcdef"[d->handle[b] & 15];
            }
            return n;
        }
    }
}

// s in a column of this width; the last column, left aligned, unpadded
static void padded(const char *s, size_t n, size_t width, bool left, bool last) {
    static const char spaces[] = "                                        ";
    size_t pad = n < width ? width - n : 0;
    if (!left) {
        put(spaces, pad);
    }
    put(s, n);
    if (left && !last) {
        put(spaces, pad);
    }
}

// The title line and one row per domain, each column as wide as its
// widest text this poll (at least its least width).
static void table(unsigned n) {
    size_t width[NCOLS];
    char buf[40];
    for (unsigned c = 0; c < NCOLS; c++) {
        width[c] = cols[c].width;
        for (unsigned i = 0; i < n; i++) {
            size_t w = cell(c, i, buf);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (unsigned c = 0; c < NCOLS; c++) {
        if (c) {
            put(" ", 1);
        }
        padded(cols[c].title, strlen(cols[c].title), width[c], cols[c].left, c == NCOLS - 1);
    }
    while (olen && out[olen - 1] == ' ') {
        olen--;
    }
    line();
    for (unsigned i = 0; i < n; i++) {
        for (unsigned c = 0; c < NCOLS; c++) {
            if (c) {
                put(" ", 1);
            }
            padded(buf, cell(c, i, buf), width[c], cols[c].left, c == NCOLS - 1);
        }
        line();
        if (!first_row_ns) {
            first_row_ns = clock_now_ns();   // the first row said (into the batch)
        }
    }
}

static void summary_line(unsigned n) {
    unsigned count[6] = { 0 };
    for (unsigned i = 0; i < n; i++) {
        count[status_of(recs[i].flags) >> 8]++;
    }
    puts_("stubmon domains: ");
    put_u(n);
    puts_(" domains");
    for (unsigned k = 0; k < 6; k++) {
        puts_(k ? ", " : ": ");
        put_u(count[k]);
        puts_(" ");
        puts_(summary_names[k]);
    }
    line();
}

static void stats_line(unsigned n, uint64_t now, uint64_t due) {
    const struct clock_sleep_counts *sl = clock_sleep_counts();
    const struct {
        const char *key;
        uint64_t v;
    } kv[] = {
        { "poll=", n }, { " now_us=", now / 1000 }, { " due_us=", due / 1000 },
        { " poll_us=", (clock_now_ns() - now) / 1000 }, { " cpu_us=", clock_own_cpu_ns() / 1000 },
        { " errors=", errors }, { " dropped=", console_dropped() }, { " listings=", listings },
        { " heap=", 0 }, { " tracked=", known_n + fig_n }, { " writes=", console_xen_writes() },
        { " sleeps=", sl->sleeps }, { " blocks=", sl->blocks }, { " wakes=", sl->events },
        { " early=", sl->early }, { " kicks=", kicks },
    };
    puts_("stubmon: stats ");
    for (size_t k = 0; k < sizeof(kv) / sizeof(kv[0]); k++) {
        puts_(kv[k].key);
        put_u(kv[k].v);
    }
    line();
}

static void poll_header(unsigned n, uint64_t now) {
    puts_("stubmon poll ");
    put_u(n);
    puts_(": xen ");
    puts_(version);
    puts_(", uptime ");
    put_tenths((now + 50000000) / 100000000);
    puts_("s, ");
}

// One poll: the host and the listing collected, then said (events, the
// table), all of it batched into as few console writes as fit and sent
// before the sleep; with stats=, the stats line (and the boot stamps
// after poll 1) in the same batch, as the monitor does.
static void poll(unsigned n, uint64_t due) {
    uint64_t now = clock_now_ns();
    console_batch(true);
    read_host();
    bool more;
    long got = list_domains(&more);
    if (got >= 0) {
        events((unsigned)got, now);
        cpu_figures((unsigned)got, now);
        poll_header(n, now);
        put_u((uint64_t)got);
        puts_(" domains");
        line();
        if (h.ok) {
            host_line();
        }
        summary_line((unsigned)got);
        table((unsigned)got);
        if (more) {
            say("refmon: more domains than the table holds (1024): the rest are not shown");
        }
    } else {
        poll_header(n, now);
        puts_("? domains");
        line();
        puts_("stubmon poll ");
        put_u(n);
        puts_(": domains not listed (errno ");
        put_u((uint64_t)-got);
        puts_(", see above); own cpu ");
        put_u(clock_own_cpu_ns() / MS);
        puts_(" ms");
        line();
    }
    puts_("stubmon poll ");
    put_u(n);
    puts_(" end");
    line();
    if (stats && (stats != 3 || n <= 2 || n == count)) {
        stats_line(n, now, due);
        if (n == 1) {
            if (!first_row_ns) {
                first_row_ns = clock_now_ns();
            }
            puts_("stubmon: boot entry_us=");
            put_u(arch_entry_ns() / 1000);
            puts_(" first_line_us=");
            put_u(first_line_ns / 1000);
            puts_(" first_row_us=");
            put_u(first_row_ns / 1000);
            line();
        }
    }
    console_batch(false);
}

// A wake by VIRQ_DOM_EXC between polls: list the domains, say what changed.
static void event_listing(void) {
    bool more;
    console_batch(true);
    long got = list_domains(&more);
    if (got >= 0) {
        events((unsigned)got, clock_now_ns());
    }
    console_batch(false);
}

// The monitor's rule (loop.Waker.kick_due): kick unless, `ahead` ns on
// (the next chance), half the timeout would still not have passed since
// the last kick (or the arming).
static uint64_t kicked_ns;
static void kick_due(uint64_t now, uint64_t ahead) {
    uint64_t half = watchdog_timeout_s() * S_NS / 2;
    if (half && now - kicked_ns + ahead >= half) {
        watchdog_kick();
        kicks++;
        kicked_ns = now;
    }
}

// To the deadline (loop.Waker): woken by a domain event to list the
// domains, at most EVENT_LISTINGS times an interval, spaced evenly; woken
// half the watchdog's timeout after the last kick to kick it. Xen's timer
// saying the deadline has come is trusted over our clock.
static void sleep_to(uint64_t deadline) {
    static uint64_t next_listing;
    uint64_t gap = step_ns / EVENT_LISTINGS, half_wd = watchdog_timeout_s() * S_NS / 2;
    for (;;) {
        uint64_t now = clock_now_ns(), until = deadline;
        uint64_t due = half_wd ? kicked_ns + half_wd : deadline;
        if (due < until) {
            until = due > now ? due : now;
        }
        bool can = listings < EVENT_LISTINGS && next_listing < deadline;
        bool may = can && next_listing <= now;
        if (can && !may && next_listing < until) {
            until = next_listing;
        }
        if (!clock_sleep_until(until, may)) {
            if (until == deadline) {
                return;
            }
            if (until >= due) {   // woken to kick it
                kick_due(clock_now_ns(), half_wd);
            }
            continue;
        }
        listings++;
        event_listing();
        next_listing = clock_now_ns() + gap;
        kick_due(next_listing - gap, 0);
    }
}

// --- start ------------------------------------------------------------------
// "12" or "0.5" (seconds) in ms, at most 3 decimals; 0 if not a number
static uint64_t parse_ms(const char *p, const char *end) {
    uint64_t whole = 0, frac = 0, unit = 100;
    const char *dot = NULL;
    if (p == end || *p == '.') {
        return 0;
    }
    for (; p < end; p++) {
        if (*p == '.' && !dot) {
            dot = p;
        } else if (*p < '0' || *p > '9' || whole > (1ULL << 32)) {
            return 0;
        } else if (!dot) {
            whole = whole * 10 + (uint64_t)(*p - '0');
        } else if (unit) {
            frac += (uint64_t)(*p - '0') * unit;
            unit /= 10;
        }
    }
    return whole * 1000 + frac;
}

static bool word(const char *p, const char *end, const char *w) {
    size_t n = strlen(w);
    return (size_t)(end - p) == n && !memcmp(p, w, n);
}

static void options(const char *s) {
    while (*s) {
        while (*s == ' ') {
            s++;
        }
        const char *key = s, *eq = NULL;
        while (*s && *s != ' ') {
            if (*s == '=' && !eq) {
                eq = s;
            }
            s++;
        }
        if (key == s) {
            break;
        }
        const char *v = eq ? eq + 1 : s;
        uint64_t ms = eq ? parse_ms(v, s) : 0;
        // a whole number: digits only (0 included)
        bool whole = eq && (ms || word(v, s, "0")) && ms % 1000 == 0 && !memchr(v, '.', (size_t)(s - v));
        if (eq && word(key, eq, "interval") && ms >= 100) {
            step_ns = ms * MS;
        } else if (whole && word(key, eq, "count")) {
            count = (unsigned)(ms / 1000);
        } else if (whole && word(key, eq, "stats") && ms <= 3000) {
            stats = (unsigned)(ms / 1000);
        } else if (whole && word(key, eq, "watchdog") && (!ms || ms >= 5000)) {
            watchdog_s = (long)(ms / 1000);
        } else if (eq && word(key, eq, "exit") && (word(v, s, "qemu") || word(v, s, "shutdown"))) {
            exit_qemu = word(v, s, "qemu");
        } else {
            puts_("refmon: option '");
            put(key, (size_t)(s - key));
            puts_("' ignored (refmon takes interval=, count=, stats=, watchdog=, exit=)");
            line();
        }
    }
}

static void read_version(void) {
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    static xen_extraversion_t extra;
    HYPERVISOR_xen_version(XENVER_extraversion, extra);
    extra[sizeof(extra) - 1] = 0;
    char *p = version;
    p += utoa(p, (uint64_t)v >> 16);
    *p++ = '.';
    p += utoa(p, (uint64_t)v & 0xffff);
    memcpy(p, extra, strlen(extra) + 1);
}

// Entered from the port's boot heads (port-xen/arch/<arch>/) in place of
// MicroPython's start (port-xen/main.c).
__attribute__((noreturn)) void stubmon_main(void) {
    // the first line the early way, before the console picks its channels,
    // as port-xen/main.c's boot line
    puts_("boot: refmon ");
    puts_(arch_platform);
    puts_(", the C reference monitor (tools/refmon)");
    line();
    first_line_ns = clock_now_ns();
    clock_init();
    console_init();
    read_version();
    puts_("refmon: ");
    puts_(arch_platform);
    puts_(" on xen ");
    puts_(version);
    line();
    options(arch_cmdline);
    probe();
    if (watchdog_s < 0) {
        uint64_t auto_s = (step_ns * 4 + S_NS - 1) / S_NS;
        watchdog_s = auto_s > 30 ? (long)auto_s : 30;
    }
    if (watchdog_s) {
        long rc = watchdog_set((uint32_t)watchdog_s);
        kicked_ns = clock_now_ns();
        puts_(rc < 0 ? "refmon: watchdog refused, errno " : "refmon: watchdog ");
        put_u(rc < 0 ? (uint64_t)-rc : (uint64_t)watchdog_s);
        puts_(rc < 0 ? "; running without it" : " s");
        line();
    }
    puts_(clock_has_dom_exc() ? "refmon: events: VIRQ_DOM_EXC wakes a listing of every domain"
        : "refmon: events: binding VIRQ_DOM_EXC failed: domain changes are seen at the polls");
    line();
    // the fixed grid start + k * interval (app.py's next_deadline)
    uint64_t start = clock_now_ns(), deadline = start;
    for (unsigned n = 1;; n++) {
        poll(n, deadline);
        listings = 0;
        uint64_t done = clock_now_ns();
        kick_due(done, step_ns + (done - deadline));
        if (count && n >= count) {
            break;
        }
        uint64_t now = clock_now_ns();
        deadline += step_ns;
        if (deadline <= now) {
            deadline = start + ((now - start) / step_ns + 1) * step_ns;
        }
        sleep_to(deadline);
    }
    console_flush();
    if (exit_qemu) {
        arch_qemu_exit(0);
    }
    domain_shutdown(SHUTDOWN_poweroff);
}
