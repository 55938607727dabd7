# SPDX-License-Identifier: MIT
# The test-only options in one place (docs/options.md#test-only-options,
# docs/faults.md): demo=N empty paused domains, pause=ID:A:B,
# destroy=ID:P, fault=KIND:P, quiet=1 and raw=1 (make bench), and how a
# run ends (exit=qemu leaves QEMU with a status a test reads). Frozen only
# into the test image (port-xen/variants/test); options.py hands it the
# test-only keys, and the monitor (app.Monitor, `m`) calls the Hooks of
# its run, if any, at the points named below.
from . import abi
from . import alerts
from . import hypercalls as hv
from . import options

DEMO_MAX = 1000
DEMO_MEM_MAX = 1024 * 1024  # MiB; only a limit, nothing is allocated
EXITS = ('shutdown', 'qemu')
# fault=KIND:P test faults, injected at poll P (docs/faults.md): raise,
# memory, hang in poll P; listing: in the first event listing after poll P;
# demo: creating demo domain P (start-up); fatal: before the first poll,
# where nothing catches it (P unused: fatal:1); vanish: more domains than
# gone:N remembers made at the start of poll P, destroyed after it.
FAULTS = ('raise', 'memory', 'hang', 'listing', 'demo', 'fatal', 'vanish')
MAX_FAULTS = 8
POLL_MAX = 10**9

# key -> (lo, hi, hint) for whole numbers, (words, hint) for words; the
# others have a parser of their own in Hooks.set.
NUMBERS = {
    'demo': (0, DEMO_MAX, 'want a number of domains, 0 to %d' % DEMO_MAX),
    'demo_keep': (0, POLL_MAX, 'want the poll after which demo domains go, 0 = keep them'),
    'demo_mem': (1, DEMO_MEM_MAX, 'want MiB, 1 to %d' % DEMO_MEM_MAX),
    'quiet': (0, 1, 'want 0 or 1'),
    'raw': (0, 1, 'want 0 or 1'),
}
WORDS = {'exit': (EXITS, 'want shutdown or qemu')}


def parse_pause(text):
    """'2:1:3' -> (2, 1, 3); B is 0 or after A. None if malformed."""
    r = options.parse_ints(text, ((1, options.DOMID_MAX), (1, POLL_MAX), (0, POLL_MAX)))
    if r is None or (r[2] and r[2] <= r[1]):
        return None
    return r


def parse_destroy(text):
    """'2:5' -> (2, 5). None if malformed."""
    return options.parse_ints(text, ((1, options.DOMID_MAX), (1, POLL_MAX)))


def parse_faults(text):
    """'raise:2,hang:5' -> [('raise', 2), ('hang', 5)]; None if bad."""
    out = []
    for part in text.split(','):
        kind, colon, at = part.partition(':')
        poll = options.parse_int(at, 1, POLL_MAX) if colon else None
        if poll is None or kind not in FAULTS:
            return None
        out.append((kind, poll))
    return out


def faults_text(faults):
    return ','.join(['%s:%d' % f for f in faults]) if faults else 'none'


def pause_text(p):
    return 'none' if p is None else '%d:%d:%d' % p


def leave(xen, exit, ok):
    """End the domain: powered off (ok) or crashed; exit='qemu' leaves QEMU
    with status 0 or 1 (tests). Never returns on a real Xen."""
    if exit == 'qemu':
        xen.qemu_exit(0 if ok else 1)
    xen.shutdown(abi.SHUTDOWN_poweroff if ok else abi.SHUTDOWN_crash)


def script_fault(args, runs):
    """stubmon.run(): fault=raise:R makes run R raise at its start."""
    if args.get('fault') == 'raise:%d' % runs:
        raise RuntimeError('test fault (fault=raise:%d)' % runs)


class Hooks:
    """The test-only options of one run, and what they do to it."""

    def __init__(self):
        self.demo = 0  # empty paused domains created at start
        self.demo_keep = 2  # destroy them after this poll; 0 = keep
        self.demo_mem = 16  # MiB max memory of each demo domain
        self.exit = 'shutdown'  # 'shutdown' (poweroff) or 'qemu'
        self.pause = None  # (domid, after poll A, unpause after poll B or 0)
        self.destroy = None  # (domid, after poll P): destroy that domain
        self.faults = []  # [(kind, poll)], kind in FAULTS
        self.quiet = 0  # make bench: 1: the polls say nothing, all else is done
        self.raw = 0  # make bench: 1: stats lines add a raw C listing's time
        self.demo_ids = []  # the demo domains made
        self.vanish_ids = []  # fault=vanish:P: the domains made at poll P
        self.first_row_ns = None  # stats=1: when poll 1's first row was said
        self.raw_result = None  # raw=1: (us, domains) of the last raw listing

    def set(self, key, value):
        """Apply one test-only key=value; the (hint, using) pair on a bad value."""
        if key in NUMBERS:
            lo, hi, hint = NUMBERS[key]
            v = options.parse_int(value, lo, hi)
            if v is None:
                return (hint, str(getattr(self, key)))
            setattr(self, key, v)
        elif key in WORDS:
            words, hint = WORDS[key]
            if value not in words:
                return (hint, getattr(self, key))
            setattr(self, key, value)
        elif key == 'pause':
            p = parse_pause(value)
            if p is None:
                return (
                    'want DOMID:A:B, pause after poll A, unpause after poll B (0 = never)',
                    pause_text(self.pause),
                )
            self.pause = p
        elif key == 'fault':
            f = parse_faults(value)
            if f is None or len(self.faults) + len(f) > MAX_FAULTS:
                return (
                    'want KIND:POLL, KIND one of %s, comma-joined, at most %d'
                    % (', '.join(FAULTS), MAX_FAULTS),
                    faults_text(self.faults),
                )
            self.faults = self.faults + f
        elif key == 'destroy':
            p = parse_destroy(value)
            if p is None:
                return ('want DOMID:P, destroy that domain after poll P', 'none')
            self.destroy = p
        return None

    # --- the points of a run the monitor calls ---------------------------
    def start(self, m):
        """After the probe, before the first poll: fault=fatal:P (not
        caught here: it ends the run, app.start), demo=N."""
        for kind, poll in self.faults:
            if kind == 'fatal':
                raise RuntimeError('test fault (fault=fatal:%d)' % poll)
        if self.demo:
            try:
                create_demo(m, self)
            except Exception as e:
                m.health.failed('demo', e)

    def finish(self, m):
        """The run's polls are over (count=): demo domains still kept go."""
        if self.demo_ids and self.demo_keep:
            destroy_demo(m, self)

    def before_poll(self, m):
        """Outside the poll's own time: raw=1's listing (make bench)."""
        if self.raw:
            raw_listing(m, self)

    def in_poll(self, m, n):
        """At the start of poll n: fault=KIND:n."""
        if self.faults:
            inject_fault(m, self, n)

    def table_lines(self, m, lines):
        """Poll 1's table lines, stamped (stats=1) as the first row goes out."""
        if m.opts.stats and self.first_row_ns is None:
            return stamp_first_row(m, self, lines)
        return lines

    def after_stats(self, m, n):
        """After poll n's stats line: the boot stamps at poll 1."""
        if n == 1:
            say_boot(m, self)

    def stats_tail(self):
        """The stats line's tail for raw=1 (make bench)."""
        return raw_text(self)

    def after_poll(self, m, n):
        """Test options that act after a given poll."""
        if self.demo_ids and n == self.demo_keep:
            destroy_demo(m, self)
        if self.pause:
            pause_step(m, self, n)
        if self.destroy and n == self.destroy[1]:
            destroy_step(m, self, n)
        if self.vanish_ids and ('vanish', n) in self.faults:
            vanish_destroy(m, self, n)

    def leave(self, xen, ok):
        leave(xen, self.exit, ok)


def create_demo(m, t):
    n, mib = t.demo, t.demo_mem
    for i in range(1, n + 1):
        if ('demo', i) in t.faults:  # a failure at start-up (docs/faults.md)
            raise RuntimeError('test fault (fault=demo:%d)' % i)
        try:
            t.demo_ids.append(m.hyp.create_empty_domain(mib))
        except hv.HypercallError as e:
            m.say(hv.explain(e))
            break
    ids = t.demo_ids
    if ids:
        m.say(
            'stubmon: demo created %d of %d domains, ids %d..%d, paused, '
            'max memory %d MiB each' % (len(ids), n, ids[0], ids[-1], mib)
        )
    else:
        m.say('stubmon: demo created 0 of %d domains' % n)


def destroy_all(m, ids):
    """Destroy the domains made here; how many went (a failure said once)."""
    gone = 0
    for domid in ids:
        try:
            m.hyp.destroy_domain(domid)
            gone += 1
        except hv.HypercallError as e:
            m.errors.failed('destroydomain', e)
    return gone


def destroy_demo(m, t):
    m.say('stubmon: demo destroyed %d domains' % destroy_all(m, t.demo_ids))
    t.demo_ids = []


def inject_fault(m, t, n):
    """fault=KIND:P (tests, docs/faults.md): a real exception, a real
    MemoryError (the heap filled up), or a real hang at poll P; listing:P
    and vanish:P are set up here, before any of those."""
    for kind, poll in t.faults:
        if poll == n and kind == 'listing':
            arm_listing_fault(m, n)
        elif poll == n and kind == 'vanish':
            vanish_create(m, t, n)
    for kind, poll in t.faults:
        if poll != n:
            continue
        if kind == 'raise':
            raise RuntimeError('test fault (fault=raise:%d)' % n)
        if kind == 'memory':
            hog = []
            for _ in range(16384):  # the image's heap is far smaller
                hog.append(bytearray(4096))
            raise MemoryError('test fault: 64 MiB allocated without running out')
        if kind == 'hang':
            m.say('stubmon: test fault: hanging in poll %d (fault=hang:%d)' % (n, n))
            # a poll's lines wait in the console batch until it ends, and
            # a hung poll never ends: send them, as a real hang cannot
            batch = getattr(m.xen, 'console_batch', None)
            if batch:
                batch(False)
            while True:  # spins on purpose: what the watchdog is for
                pass


def arm_listing_fault(m, n):
    """fault=listing:P: the first event listing after poll P (a domain
    event woke the sleep, app.Monitor.sleep) raises inside the listing,
    where a bug in it would: the monitor's check_events, wrapped once."""
    real = m.check_events

    def check_events(woken=False):
        if not woken:  # a test step's own listing (pause=, destroy=)
            return real(woken)
        m.check_events = real
        raise RuntimeError('test fault (fault=listing:%d)' % n)

    m.check_events = check_events


def vanish_create(m, t, n):
    """fault=vanish:P: more empty paused domains than gone:N remembers
    once vanished (alerts.MAX_MISSING), made at the start of poll P (which
    lists them) and destroyed after it (vanish_destroy)."""
    want = alerts.MAX_MISSING + 8
    for _ in range(want):
        try:
            t.vanish_ids.append(m.hyp.create_empty_domain(t.demo_mem))
        except hv.HypercallError as e:
            m.say(hv.explain(e))
            break
    ids = t.vanish_ids
    m.say(
        'stubmon: test fault: made %d of %d domains%s to vanish after poll %d (fault=vanish:%d)'
        % (len(ids), want, ', ids %d..%d' % (ids[0], ids[-1]) if ids else '', n, n)
    )


def vanish_destroy(m, t, n):
    gone = destroy_all(m, t.vanish_ids)
    t.vanish_ids = []
    m.say(
        'stubmon: test fault: destroyed %d domains after poll %d (fault=vanish:%d)' % (gone, n, n)
    )


def destroy_step(m, t, n):
    """destroy=ID:P test option: destroy that domain after poll P (a
    crashed dom0less domU has no toolstack to do it), then list."""
    domid = t.destroy[0]
    try:
        m.hyp.destroy_domain(domid)
    except hv.HypercallError as e:
        m.say(hv.explain(e))
        return
    m.say('stubmon: destroyed %d after poll %d' % (domid, n))
    m.check_events()


# --- pause= test option: a domain cannot pause itself -------------------
def pause_step(m, t, n):
    domid, pause_after, unpause_after = t.pause
    if n == pause_after:
        what, call = 'pausedomain', m.hyp.pause_domain
    elif n == unpause_after:
        what, call = 'unpausedomain', m.hyp.unpause_domain
    else:
        return
    try:
        call(domid)
    except hv.HypercallError as e:
        m.say(hv.explain(e))
        return
    m.say('stubmon: %s %d after poll %d' % (what[:-6] + 'd', domid, n))
    m.check_events()


# --- what make bench reads (tools/bench.py, docs/benchmarks.md) ----------
def raw_listing(m, t):
    """raw=1: every domain listed by the image's C (xen.list_raw: the
    sysctl calls alone, batches as list_domains makes them, nothing
    decoded), timed in C, just before the poll lists them itself. Kept
    as (us, domains) for the poll's stats line; None where it cannot run
    (no interface version confirmed, an image without list_raw, a refusal)."""
    hyp, xen = m.hyp, m.xen
    t.raw_result = None
    if hyp is None or hyp.sysctl_version is None or not hasattr(xen, 'list_raw'):
        return
    lay = hyp.abi
    hyp._fill_sysctl_list(hyp.sysctl_version, 0, hyp.batch)
    p, g = lay.SYSCTL_PAYLOAD, lay.GDIL
    layout = (
        p + g['first_domain'],
        p + g['max_domains'],
        p + g['num_domains'],
        p + g['buffer'],
        hyp.batch,
        hyp.di_size,
        lay.DI['domain'],
        abi.DOMID_FIRST_RESERVED,
    )
    try:
        n, ns = xen.list_raw(hyp._sysctl, hyp._list, layout)
    except OSError:
        return
    t.raw_result = (ns // 1000, n)


def raw_text(t):
    """The stats line's tail for raw=1: ' raw_us=U raw_domains=N' ('?'
    for both when the raw listing could not run); '' without raw=1."""
    if not t.raw:
        return ''
    r = t.raw_result
    return ' raw_us=%d raw_domains=%d' % r if r else ' raw_us=? raw_domains=?'


def stamp_first_row(m, t, lines):
    """The poll's table lines, passed through; stamps t.first_row_ns
    (Xen time) once the first domain row has been said (the caller asks
    for the next line after saying one)."""
    for line in lines:
        yield line
        if t.first_row_ns is None and line[:1] == ' ' and line.lstrip()[:1].isdigit():
            t.first_row_ns = m.xen.time_ns()


def say_boot(m, t):
    """After poll 1 (stats=1): the boot stamps, Xen time in us:
    the image's entry point and its first console line (xen.boot_ns(),
    taken in C) and the first table row said (stamp_first_row; where no
    row was said, the end of poll 1's output)."""
    row = t.first_row_ns
    if row is None:
        row = t.first_row_ns = m.xen.time_ns()
    entry, line = m.xen.boot_ns() if hasattr(m.xen, 'boot_ns') else (0, 0)
    m.say(
        'stubmon: boot entry_us=%d first_line_us=%d first_row_us=%d'
        % (entry // 1000, line // 1000, row // 1000)
    )
