# SPDX-License-Identifier: MIT
# The test-only options in one place (README "Options", docs/faults.md):
# demo=N empty paused domains, pause=ID:A:B, destroy=ID:P, fault=KIND:P,
# and how a run ends (exit=qemu leaves QEMU with a status a test reads).
# Each acts on the monitor (app.Monitor, `m`) at the poll it names.
from . import abi
from . import hypercalls as hv


def leave(xen, exit, ok):
    """End the domain: powered off (ok) or crashed; exit='qemu' leaves QEMU
    with status 0 or 1 (tests). Never returns on a real Xen."""
    if exit == 'qemu':
        xen.qemu_exit(0 if ok else 1)
    xen.shutdown(abi.SHUTDOWN_poweroff if ok else abi.SHUTDOWN_crash)


def create_demo(m):
    n, mib = m.opts.demo, m.opts.demo_mem
    for _ in range(n):
        try:
            m.demo_ids.append(m.hyp.create_empty_domain(mib))
        except hv.HypercallError as e:
            m.say(hv.explain(e))
            break
    ids = m.demo_ids
    if ids:
        m.say('stubmon: demo created %d of %d domains, ids %d..%d, paused, '
              'max memory %d MiB each' % (len(ids), n, ids[0], ids[-1], mib))
    else:
        m.say('stubmon: demo created 0 of %d domains' % n)


def destroy_demo(m):
    gone = 0
    for domid in m.demo_ids:
        try:
            m.hyp.destroy_domain(domid)
            gone += 1
        except hv.HypercallError as e:
            m.errors.failed('destroydomain', e)
    m.say('stubmon: demo destroyed %d domains' % gone)
    m.demo_ids = []


def after_poll(m, n):
    """Test options that act after a given poll."""
    opts = m.opts
    if m.demo_ids and n == opts.demo_keep:
        destroy_demo(m)
    if opts.pause:
        pause_step(m, n)
    if opts.destroy and n == opts.destroy[1]:
        destroy_step(m, n)


def inject_fault(m, n):
    """fault=KIND:P (tests, docs/faults.md): a real exception, a real
    MemoryError (the heap filled up), or a real hang at poll P."""
    for kind, poll in m.opts.faults:
        if poll != n:
            continue
        if kind == 'raise':
            raise RuntimeError('test fault (fault=raise:%d)' % n)
        if kind == 'memory':
            hog = []
            for _ in range(16384):   # the image's heap is far smaller
                hog.append(bytearray(4096))
            raise MemoryError('test fault: 64 MiB allocated without running out')
        if kind == 'hang':
            m.say('stubmon: test fault: hanging in poll %d (fault=hang:%d)' % (n, n))
            # a poll's lines wait in the console batch until it ends, and
            # a hung poll never ends: send them, as a real hang cannot
            batch = getattr(m.xen, 'console_batch', None)
            if batch:
                batch(False)
            while True:   # spins on purpose: what the watchdog is for
                pass


def destroy_step(m, n):
    """destroy=ID:P test option: destroy that domain after poll P (a
    crashed dom0less domU has no toolstack to do it), then list."""
    domid = m.opts.destroy[0]
    try:
        m.hyp.destroy_domain(domid)
    except hv.HypercallError as e:
        m.say(hv.explain(e))
        return
    m.say('stubmon: destroyed %d after poll %d' % (domid, n))
    m.check_events()

# --- pause= test option: a domain cannot pause itself -------------------
def pause_step(m, n):
    domid, pause_after, unpause_after = m.opts.pause
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
def raw_listing(m):
    """raw=1: every domain listed by the image's C (xen.list_raw: the
    sysctl calls alone, batches as list_domains makes them, nothing
    decoded), timed in C, just before the poll lists them itself. Kept
    as (us, domains) for the poll's stats line; None where it cannot run
    (no interface version confirmed, an image without list_raw, a refusal)."""
    hyp, xen = m.hyp, m.xen
    m.raw = None
    if hyp is None or hyp.sysctl_version is None or not hasattr(xen, 'list_raw'):
        return
    lay = hyp.abi
    hyp._fill_sysctl_list(hyp.sysctl_version, 0, hyp.batch)
    p, g = lay.SYSCTL_PAYLOAD, lay.GDIL
    layout = (p + g['first_domain'], p + g['max_domains'], p + g['num_domains'],
              p + g['buffer'], hyp.batch, hyp.di_size, lay.DI['domain'], abi.DOMID_FIRST_RESERVED)
    try:
        n, ns = xen.list_raw(hyp._sysctl, hyp._list, layout)
    except OSError:
        return
    m.raw = (ns // 1000, n)


def raw_text(m):
    """The stats line's tail for raw=1: ' raw_us=U raw_domains=N' ('?'
    for both when the raw listing could not run); '' without raw=1."""
    if not m.opts.raw:
        return ''
    r = getattr(m, 'raw', None)
    return ' raw_us=%d raw_domains=%d' % r if r else ' raw_us=? raw_domains=?'


def stamp_first_row(m, lines):
    """The poll's table lines, passed through; stamps m.first_row_ns
    (Xen time) once the first domain row has been said (the caller asks
    for the next line after saying one)."""
    for line in lines:
        yield line
        if m.first_row_ns is None and line[:1] == ' ' and line.lstrip()[:1].isdigit():
            m.first_row_ns = m.xen.time_ns()


def say_boot(m):
    """After poll 1 (stats=1): the boot stamps, Xen time in us:
    the image's entry point and its first console line (xen.boot_ns(),
    taken in C) and the first table row said (stamp_first_row; where no
    row was said, the end of poll 1's output)."""
    row = m.first_row_ns
    if row is None:
        row = m.first_row_ns = m.xen.time_ns()
    entry, line = m.xen.boot_ns() if hasattr(m.xen, 'boot_ns') else (0, 0)
    m.say('stubmon: boot entry_us=%d first_line_us=%d first_row_us=%d'
          % (entry // 1000, line // 1000, row // 1000))
