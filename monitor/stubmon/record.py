# SPDX-License-Identifier: MIT
# One domain record: a getdomaininfolist entry (or a domctl getdomaininfo
# payload) decoded in one struct.unpack_from with its release's format
# (abi.Abi.DI_FORMAT), plus the fields derived from it once, at decode:
# xl's state letters, the state's name, and at a poll CPU % and MEM %.
# Table, JSON, events and alerts all read these; none derives them again.
import struct
from collections import namedtuple

from . import abi
from .fields import DECODED, DERIVED, FIELDS, MAYBE_NONE  # noqa: F401 (record's API)
from .fields import KIB_PER_PAGE, PAGE_SHIFT  # noqa: F401
from .fields import max_pages_unlimited, pages_to_kib, pages_to_mib  # noqa: F401

# xl's shutdown reason letters, indexed by SHUTDOWN_* (poweroff shows '-')
REASON_LETTERS = '-rscwS'
REASON_NAMES = ('poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset')
# One shared string per state: 1000 domains must not cost 1000 strings.
SHUTDOWN_STATES = tuple(['shutdown (%s)' % r for r in REASON_NAMES])
MAX_VCPU_ID_NONE = 0xFFFFFFFF  # XEN_INVALID_MAX_VCPU_ID: domain has no vCPUs

# A tuple with names (fields.FIELDS): 1000 domains must fit a small heap (an
# instance with a dict costs about 3x as much under MicroPython).
Domain = namedtuple('Domain', FIELDS)

ZERO_HANDLE = bytes(16)
_names = {}  # flags -> (state letters, status): a handful of values


def shutdown_reason(flags):
    """SHUTDOWN_* code, or None when the domain is not shut down."""
    if not flags & abi.DOMINF_shutdown:
        return None
    return (flags >> abi.DOMINF_shutdownshift) & abi.DOMINF_shutdownmask


def state(flags):
    """Six letters like `xl list`: r b p s <reason> d, '-' for unset."""
    # the upper 16 bits hold the shutdown reason; test only the state bits
    bits = flags & 0xFFFF
    reason = shutdown_reason(flags)
    if reason is None:
        letter = '-'
    elif reason < len(REASON_LETTERS):
        letter = REASON_LETTERS[reason]
    else:
        letter = '?'
    return ''.join(
        (
            'r' if bits & abi.DOMINF_running else '-',
            'b' if bits & abi.DOMINF_blocked else '-',
            'p' if bits & abi.DOMINF_paused else '-',
            's' if bits & abi.DOMINF_shutdown else '-',
            letter,
            'd' if bits & abi.DOMINF_dying else '-',
        )
    )


def state_name(flags):
    """The state an event talks about: dying, crashed, shutdown (reason),
    paused, blocked or running (running or waiting for a CPU)."""
    bits = flags & 0xFFFF
    if bits & abi.DOMINF_dying:
        return 'dying'
    reason = shutdown_reason(flags)
    if reason is not None:
        if reason == abi.SHUTDOWN_crash:
            return 'crashed'
        if reason < len(SHUTDOWN_STATES):
            return SHUTDOWN_STATES[reason]
        return 'shutdown (reason %d)' % reason
    if bits & abi.DOMINF_paused:
        return 'paused'
    if bits & abi.DOMINF_blocked:
        return 'blocked'
    return 'running'


def names(flags):
    """(state letters, status) of these flags, derived once per value."""
    n = _names.get(flags)
    if n is None:
        if len(_names) > 64:  # odd flag values must not grow it for ever
            _names.clear()
        n = _names[flags] = (state(flags), state_name(flags))
    return n


def make(*fields):
    """A record from its DECODED fields, in order, then optionally cpu_pct
    and mem_pct (tests; decode_into does the same for each record it
    unpacks)."""
    n = len(DECODED)
    extra = fields[n:] + (None, None)
    return _record(fields[:n], extra[0], extra[1])


def _record(t, cpu, mem):
    """The record of t, the 10 decoded fields, with its derived ones. A
    tuple concatenation and a star call: under MicroPython 1.25 several
    times faster than passing the 14 fields one by one (make bench)."""
    n = _names.get(t[1]) or names(t[1])
    if t[8] == ZERO_HANDLE:  # dom0, dom0less and demo domains: one shared object
        return Domain(*(t[:8] + (ZERO_HANDLE, t[9], n[0], n[1], cpu, mem)))
    return Domain(*(t + (n[0], n[1], cpu, mem)))


def with_figures(d, cpu_pct, mem_pct):
    """The record d with these CPU % and MEM % (tests, and scripts that
    derive their own)."""
    return _record(tuple(d)[: len(DECODED)], cpu_pct, mem_pct)


def decode_into(out, lay, buf, count, off=0, figures=None):
    """Append the `count` records at buf[off:] (one after another, in the
    layout lay, an abi.Abi) to out; figures (a Figures, at a poll) adds CPU
    % and MEM %. The hot path of a listing: one unpack_from per record, the
    loop's names in locals."""
    fmt, size = lay.DI_FORMAT, lay.DI_SIZE
    unpack, record = struct.unpack_from, _record
    of = figures.of if figures is not None else None
    cpu = mem = None
    for i in range(count):
        t = unpack(fmt, buf, off + i * size)
        if of is not None:
            cpu, mem = of(t[0], t[4], t[2])
        out.append(record(t, cpu, mem))
    return out


def decode(lay, buf, off=0, figures=None):
    """The one record at buf[off:]."""
    return decode_into([], lay, buf, 1, off, figures)[0]


def percent_tenths(part, whole):
    """part over whole in tenths of a percent, rounded half up; None when
    whole is not positive or part negative."""
    if not whole or whole <= 0 or part < 0:
        return None
    return (part * 1000 + whole // 2) // whole


class Figures:
    """CPU % (like xentop: CPU time over wall time since the previous poll)
    and MEM % (tot_pages over the host's memory) of each domain of a poll.
    Holds only each domain's CPU time when it was last decoded: small ints,
    so 1000 domains cost ~20 KiB, updated in place (a new 1000-entry dict a
    poll fragments a 1 MiB heap until it runs out). Xen does not reuse a
    domid at once; one that comes back with less CPU time than before
    counts as new."""

    def __init__(self):
        self._last = {}
        self._last_ns = 0
        self._wall = 0
        self._total_kib = None

    def size(self):
        return len(self._last)

    def begin(self, now_ns, total_kib=None):
        """Before a poll's listing; total_kib: the host's memory or None."""
        self._wall = now_ns - self._last_ns
        self._total_kib = total_kib
        self._last_ns = now_ns

    def of(self, domid, cpu_time, tot_pages):
        last = self._last
        prev = last.get(domid)
        last[domid] = cpu_time
        cpu = None if prev is None else percent_tenths(cpu_time - prev, self._wall)
        total = self._total_kib
        return cpu, (percent_tenths(tot_pages * KIB_PER_PAGE, total) if total else None)

    def end(self, doms):
        """After the listing (doms: every domain of it): the domains that
        vanished are forgotten; only when some did."""
        last = self._last
        if len(last) <= len(doms):
            return
        keep = {}
        for d in doms:
            if d.domid in last:
                keep[d.domid] = last[d.domid]
        self._last = keep
