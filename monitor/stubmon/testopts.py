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
