# SPDX-License-Identifier: MIT
# format=json: one JSON object per line, through MicroPython's json module
# (C; no floats in the image). Schema "stubmon/2": docs/json-schema.md and
# docs/stubmon-2.schema.json. Objects keep their key order (Ordered, given to
# json as an OrderedDict: MicroPython's dicts have none), so a line is
# byte-for-byte reproducible; a domain's object, 1000 of them a poll, is
# one %-template made from the declared columns (columns.py).
import json
from collections import OrderedDict

from . import columns
from . import table

SCHEMA = 'stubmon/2'
SEPARATORS = (',', ':')


class Ordered:
    """An ordered JSON object: Ordered('a', 1, 'b', None)."""

    def __init__(self, *kv):
        self.kv = kv


def _plain(v):
    if isinstance(v, Ordered):
        kv = v.kv
        return OrderedDict([(kv[i], _plain(kv[i + 1])) for i in range(0, len(kv), 2)])
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, str)):
        return v
    raise TypeError('not JSON: %s' % type(v).__name__)


def dumps(v):
    """JSON text of None, bool, int, str, list/tuple, Ordered."""
    return json.dumps(_plain(v), separators=SEPARATORS)


def text(s):
    """A string from outside (an error's text, a rule from the command
    line) as printable ASCII: a byte past it becomes '?', so a line stays
    valid UTF-8 whatever it quotes."""
    for ch in s:
        if ord(ch) > 0x7E:
            return ''.join([c if ord(c) <= 0x7E else '?' for c in s])
    return s


def _null(v):
    return 'null' if v is None else str(v)


def _head(kind, uptime_ns):
    return ('schema', SCHEMA, 'type', kind, 'uptime_ms', uptime_ns // 1000000)


def host_object(host):
    """host: a hypercalls.PhysInfo or None (physinfo refused)."""
    if host is None:
        return None
    kv = (
        'cpus',
        host.nr_cpus,
        'cpu_mhz',
        host.cpu_mhz,
        'mem_total_k',
        host.total_kib,
        'mem_used_k',
        host.total_kib - host.free_kib,
        'mem_free_k',
        host.free_kib,
        'busy_pct_x10',
        getattr(host, 'busy', None),
    )
    cpus = getattr(host, 'pcpus', None)
    if cpus is not None:  # pcpus=1
        kv += ('pcpus', [Ordered('cpu', c, 'busy_pct_x10', b, 'idle_ns', i) for c, b, i in cpus])
    return Ordered(*kv)


def summary_object(counts):
    return Ordered(
        'domains',
        counts['domains'],
        'running',
        counts['running'],
        'blocked',
        counts['blocked'],
        'paused',
        counts['paused'],
        'crashed',
        counts['crashed'],
        'dying',
        counts['dying'],
        'shutdown',
        counts['shutdown'],
    )


DOMAIN = columns.DECLARED.domain  # '{"id":%d,"state":"%s",...}': columns.py


VCPU = '{"vcpu":%d,"online":%s,"running":%s,"blocked":%s,"cpu_ns":%d,"cpu_pct_x10":%s,"pcpu":%d}'


def _bool(v):
    return 'true' if v else 'false'


def vcpus_text(vl):
    return (
        '['
        + ','.join(
            [
                VCPU
                % (
                    v.vcpu,
                    _bool(v.online),
                    _bool(v.running),
                    _bool(v.blocked),
                    v.cpu_time,
                    _null(v.cpu_pct),
                    v.pcpu,
                )
                for v in vl
            ]
        )
        + ']'
    )


def domain_text(d, vcpus=None, cols=None):
    """One domain's object (its keys from the columns, cols a
    columns.Columns, default the declared ones); vcpus: its [vcpus.VCpu]
    (vcpus=1), as the key vcpu_list at the end."""
    t = (cols or columns.DECLARED).json(d)
    if vcpus is None:
        return t
    return t[:-1] + ',"vcpu_list":' + vcpus_text(vcpus) + '}'


def poll_parts(snap, cols=None):
    """One poll's line in pieces, from its snapshot.Snapshot (a generator:
    with 1000 domains the whole line, ~250 KB, never sits in the heap; the
    console joins the pieces into one line). rows: the domains shown;
    counts: the summary of every domain (None: of the rows); seen: the
    keys and values of the view's object (view.View), saying which domains
    these are, None when they are all of them (the key is left out); vcpus: {domid: [vcpus.VCpu]}
    with vcpus=1, else None; cols: a columns.Columns, default the declared
    columns."""
    doms, view, vcpus = snap.rows or [], snap.seen, snap.vcpus
    counts = table.summary(doms) if snap.counts is None else snap.counts
    fields = _poll_head(snap.n, snap.version, snap.now, snap.host, summary_object(counts))
    if view is not None:
        fields += ('view', Ordered(*view))
    head = dumps(Ordered(*fields))
    yield head[:-1] + ',"domains":['
    cols = cols or columns.DECLARED
    template, after = cols.domain, ',' + cols.domain  # after the first
    for d, values in zip(doms, cols.each(doms, cols.json_cells)):
        t = template % values
        if vcpus is not None:
            t = t[:-1] + ',"vcpu_list":' + vcpus_text(vcpus.get(d.domid, [])) + '}'
        yield t
        template = after
    yield ']}'


def poll_line(snap, cols=None):
    """One poll as one string."""
    return ''.join(poll_parts(snap, cols))


def _poll_head(n, version, uptime_ns, host, summary):
    """The keys every poll object starts with."""
    head = ('poll', n, 'xen', version, 'host', host_object(host), 'summary', summary)
    return _head('poll', uptime_ns) + head


def unlisted_line(n, version, uptime_ns, why, own_cpu_ns, host=None):
    """A poll whose domain list was refused: what the monitor may report."""
    rest = ('domains', None, 'error', why, 'own_cpu_ns', own_cpu_ns)
    return dumps(Ordered(*(_poll_head(n, version, uptime_ns, host, None) + rest)))


def error_line(uptime_ns, where, error, errors):
    """An error the monitor survived (docs/faults.md); errors: how many so far."""
    return dumps(
        Ordered(
            *(
                _head('error', uptime_ns)
                + ('where', text(where), 'error', text(error), 'errors', errors)
            )
        )
    )


def event_line(uptime_ns, domid, was, now):
    """was None: appeared; now None: gone."""
    kind = 'appeared' if was is None else ('gone' if now is None else 'changed')
    return dumps(
        Ordered(
            *(_head('event', uptime_ns) + ('domain', domid, 'event', kind, 'from', was, 'to', now))
        )
    )


def unmarked(t):
    """JSON text with no `(XEN) ` or `(dN) ` in it: those mark a foreign
    line that cut a long JSON line on the console (consolelog.json_lines
    splits there), and Xen's log lines start with one. Their `(` is
    written \\u0028: the same string to any JSON reader."""
    if '(' not in t:
        return t
    parts = t.split('(')
    out = [parts[0]]
    for p in parts[1:]:
        k = 1
        while k < len(p) and '0' <= p[k] <= '9':
            k += 1
        mark = p.startswith('XEN) ') or (p[:1] == 'd' and k > 1 and p[k : k + 2] == ') ')
        out.append(('\\u0028' if mark else '(') + p)
    return ''.join(out)


def _earlier(earlier):
    # logged before this monitor started (xenlog.py BACKLOG); absent otherwise
    return ('earlier', True) if earlier else ()


def log_line(uptime_ns, line, lost, earlier=False):
    """xenlog=1: one of Xen's own log lines (printable ASCII already);
    lost: bytes the ring overwrote unread just before it."""
    return unmarked(
        dumps(
            Ordered(
                *(_head('log', uptime_ns) + ('line', text(line), 'lost', lost) + _earlier(earlier))
            )
        )
    )


def alert_line(uptime_ns, domid, rule, status, detail, earlier=False):
    return unmarked(
        dumps(
            Ordered(
                *(
                    _head('alert', uptime_ns)
                    + (
                        'domain',
                        domid,
                        'rule',
                        text(rule),
                        'status',
                        status,
                        'detail',
                        text(detail),
                    )
                    + _earlier(earlier)
                )
            )
        )
    )
