# SPDX-License-Identifier: MIT
# stubmon: the Python API of the image, for scripts of your own frozen in
# place of the monitor (see examples/ and README "Your own script"), and for
# the REPL (repl=1). Built on hypercalls.py (the calls), record.py (a
# domain's record) and events.py (what changed); the hypercalls go
# through the image's `xen` C module (the unit tests' fake).
#
#   import stubmon
#   for d in stubmon.domains():
#       print(d.domid, d.state, d.mem_kib)
#   stubmon.on_domain_change(lambda domid, old, new: print(domid, old, new))
#   stubmon.sleep(5)        # callbacks run while it sleeps
#
# No floats in the image: times are integer ns/ms, memory integer KiB.
from collections import namedtuple

import xen

from . import abi
from . import options
from . import record
from . import events
from . import health
from . import hypercalls as hv
from . import loop

# One domain as domains() returns it.
#   domid        int
#   state        xl's six letters: 'r-----', '--p---', '---sc-' ...
#   status       one word or two: 'running', 'blocked', 'paused',
#                'shutdown (poweroff|reboot|suspend|watchdog|soft_reset)',
#                'crashed', 'dying' (what on_domain_change reports)
#   mem_kib      memory the domain has now, KiB
#   max_mem_kib  its limit, KiB, or None when unlimited
#   vcpus        online vCPUs
#   cpu_ns       CPU time used so far, ns
Info = namedtuple(
    'Info', ('domid', 'state', 'status', 'mem_kib', 'max_mem_kib', 'vcpus', 'cpu_ns')
)

# A failed hypercall: str(e) is 'getdomaininfolist failed: EPERM',
# explain(e) the line with what it means; e.errno_name(), e.op().
Error = hv.HypercallError
explain = hv.explain

CHECK_GAP_MS = 100  # sleep(): at most ten listings a second for the callbacks
RESTART_WAIT_MS = 1000  # run(): first wait before a script that raised starts again

# Errors in on_domain_change callbacks (reported, counted; the callback stays).
callback_errors = health.Health(print)

_hyp = None
_watchers = []
_waker = loop.Waker(xen, None)
_tracker = events.Tracker()  # the statuses at the last check, for on_domain_change


def use(hyp):
    """Start afresh on an already probed hypervisor.Hypervisor (the
    monitor's), or with None probe anew on the next call; forgets the
    callbacks."""
    global _hyp, _tracker
    _hyp = hyp
    _tracker = events.Tracker()
    del _watchers[:]


def hypervisor():
    """The hypervisor.Hypervisor behind every call, probed on first use
    (what the probe had to say is printed once: layouts assumed, denials)."""
    global _hyp
    if _hyp is None:
        h = hv.Hypervisor(xen)
        for line in h.probe():
            print(line)
        _hyp = h
    return _hyp


def info(d):
    """A record.Domain (a raw getdomaininfo record) as an Info."""
    if record.max_pages_unlimited(d.max_pages):
        max_kib = None
    else:
        max_kib = record.pages_to_kib(d.max_pages)
    return Info(
        d.domid,
        d.state,
        d.status,
        record.pages_to_kib(d.tot_pages),
        max_kib,
        d.nr_online_vcpus,
        d.cpu_time,
    )


def domains():
    """Every domain, in domid order, as a list of Info. Raises Error when
    this domain may not list them (a plain domU: EPERM)."""
    return [info(d) for d in hypervisor().list_domains()]


def domain(domid):
    """One domain's Info, or None if there is no such domain."""
    try:
        return info(hypervisor().get_domain(domid))
    except Error as e:
        if e.errno() == abi.ESRCH:
            return None
        raise


def physinfo():
    """The host's CPUs and memory: a hypercalls.PhysInfo (nr_cpus, cpu_mhz,
    total_kib, free_kib, total_pages, free_pages, threads_per_core, ...;
    as_dict() gives them all). Raises Error where refused (a plain domU)."""
    return hypervisor().physinfo()


def version():
    """Xen's version as text, e.g. '4.20.5-pre'."""
    return hypervisor().version_text()


def uptime_ns():
    """Xen system time: ns since the hypervisor booted."""
    return xen.time_ns()


def own_cpu_ns():
    """CPU time this domain (the script) has used, ns."""
    return xen.cpu_ns()


# --- sleeping and domain change callbacks -----------------------------------
def on_domain_change(fn):
    """Call fn(domid, old, new) for each domain that changes status: old
    and new are Info.status words; old is None for a domain that appeared,
    new None for one that went. Callbacks run inside sleep(): at once when
    a domain shuts down, crashes or goes (VIRQ_DOM_EXC, dom0 only) and at
    the end of each sleep for any other change (pause, unpause). Returns
    fn, so it works as a decorator too."""
    if _tracker.known is None:
        _tracker.update(hypervisor().list_domains(), None)  # the baseline
    _watchers.append(fn)
    return fn


def check():
    """List the domains now and run the callbacks for what changed since
    the last check (events.Tracker: the monitor's own diff). sleep() calls
    it; returns the number of changes."""
    if not _watchers:
        return 0
    _tracker.update(hypervisor().list_domains(), None)
    changes = _tracker.changes
    for c in changes:
        for fn in _watchers:
            try:
                fn(c[0], c[1], c[2])
            except Exception as e:  # said and counted; fn stays registered
                callback_errors.failed(
                    'on_domain_change callback %s (domain %d)'
                    % (getattr(fn, '__name__', 'fn'), c[0]),
                    e,
                )
    return len(changes)


def sleep_until_ns(deadline):
    """Block (the vCPU sleeps in Xen, nothing spins) until Xen time
    `deadline`, running the domain change callbacks as events come and
    once at the end. The monitor's own sleep (loop.Waker): in an event
    storm the callbacks' listings are spaced CHECK_GAP_MS apart (events
    meanwhile stay pending; the next listing shows what they changed), and
    the deadline is kept."""
    _waker.new_interval()
    _waker.sleep(deadline, CHECK_GAP_MS * 1000000, check)
    check()


def sleep_ms(ms):
    sleep_until_ns(xen.time_ns() + ms * 1000000)


def sleep(seconds):
    """Sleep whole seconds (the image has no floats; sleep_ms for less)."""
    sleep_ms(seconds * 1000)


# --- for scripts -----------------------------------------------------------
def args():
    """The command line (Xen's module arguments, xl's extra=) as a dict of
    key=value strings; words without '=' map to ''."""
    out = {}
    for key, value, _ in options.words(xen.cmdline()):
        out[key] = '' if value is None else value
    return out


def seconds_text(ms):
    """3000 -> '3', 500 -> '0.5' (the image has no floats)."""
    return options.seconds_text(ms)


def seconds_arg(key, default_ms, least_ms=100, name='stubmon', say=print):
    """The command line's key=S (seconds, e.g. 2 or 0.5) in ms; a bad or
    too small value is said in one line and default_ms used instead."""
    a = args()
    if key not in a:
        return default_ms
    ms = options.parse_seconds_ms(a[key])
    if ms is None or ms < least_ms:
        say(
            "%s: bad value '%s=%s' (want seconds, at least %s); using %s"
            % (name, key, a[key], seconds_text(least_ms), seconds_text(default_ms))
        )
        return default_ms
    return ms


def int_arg(key, default, lo=0, hi=10**9, name='stubmon', say=print):
    """The command line's key=N as an int in lo..hi; a bad value is said in
    one line and default used instead."""
    a = args()
    if key not in a:
        return default
    v = options.parse_int(a[key], lo, hi)
    if v is None:
        say(
            "%s: bad value '%s=%s' (want a number %d..%d); using %d"
            % (name, key, a[key], lo, hi, default)
        )
        return default
    return v


def end(ok=True):
    """End the domain: powered off (ok) or crashed; with exit=qemu on the
    command line of a test image, leave QEMU with status 0 or 1 (tests).
    Never returns."""
    hooks = options.test_hooks()
    exit = args().get('exit')
    if hooks:
        hooks.leave(xen, exit, ok)
    if exit is not None:  # a production image: said, then powered off as usual
        print("stubmon: 'exit=%s' is a test-only option, not in this image; ignored" % exit)
    xen.shutdown(abi.SHUTDOWN_poweroff if ok else abi.SHUTDOWN_crash)


def run(script, name, say=print, restarts=None):
    """A frozen script's whole life: script(say), then end(). A script
    that raises is not the end of watching: its error and traceback are
    said, counted, and it starts again after RESTART_WAIT_MS, waiting
    longer (up to health.BACKOFF_MAX times) while it keeps failing.
    restarts: give up (crash the domain) after that many restarts; None:
    the command line's restarts=N, else for ever. fault=raise:R on the
    command line makes run R raise at its start (tests). Never returns."""
    h = health.Health(say, name, 'restart')
    if restarts is None and args().get('restarts', '').isdigit():
        restarts = int(args()['restarts'])
    callback_errors.say = say
    runs = 0
    while True:
        runs += 1
        try:
            hooks = options.test_hooks()
            if hooks:  # fault=raise:R (docs/faults.md), test image only
                hooks.script_fault(args(), runs)
            script(say)
            end(True)
        except Exception as e:
            wait = h.failed('run %d' % runs, e)
            if isinstance(e, Error):
                say(explain(e))  # what it means for the user
        if restarts is not None and runs > restarts:
            say('%s: giving up after %d runs' % (name, runs))
            end(False)
        ms = RESTART_WAIT_MS * wait
        say('%s: starting again in %d ms (%d errors so far)' % (name, ms, h.errors))
        use(_hyp)  # callbacks of the failed run go with it
        sleep_ms(ms)


def create_demo(n, mem_mib=16):
    """Create n empty paused domains (dom0 only; for trying things out),
    returns their domids. destroy(domid) removes one."""
    h = hypervisor()
    return [h.create_empty_domain(mem_mib) for _ in range(n)]


def destroy(domid):
    hypervisor().destroy_domain(domid)


def pause(domid):
    hypervisor().pause_domain(domid)


def unpause(domid):
    hypervisor().unpause_domain(domid)
