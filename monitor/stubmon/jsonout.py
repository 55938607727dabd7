# format=json: one JSON object per line, written by hand (the image has no
# json module and no floats). Schema "stubmon/1": docs/json-schema.md and
# docs/stubmon-1.schema.json. Objects keep their key order (O, not dict:
# MicroPython's dicts have none), so a line is byte-for-byte reproducible.
from . import record as dommod
from . import table

SCHEMA = 'stubmon/1'


class O:
    """An ordered JSON object: O('a', 1, 'b', None)."""

    def __init__(self, *kv):
        self.kv = kv


def _str(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"' or ch == '\\':
            out.append('\\' + ch)
        elif c < 0x20 or c >= 0x7f:
            out.append('\\u%04x' % c)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def dumps(v):
    """JSON text of None, bool, int, str, list/tuple, O."""
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, O):
        kv = v.kv
        return '{' + ','.join([_str(kv[i]) + ':' + dumps(kv[i + 1])
                               for i in range(0, len(kv), 2)]) + '}'
    if isinstance(v, (list, tuple)):
        return '[' + ','.join([dumps(x) for x in v]) + ']'
    raise TypeError('not JSON: %s' % type(v).__name__)


def _head(kind, uptime_ns):
    return ('schema', SCHEMA, 'type', kind, 'uptime_ms', uptime_ns // 1000000)


def host_object(host):
    """host: a hypervisor.PhysInfo or None (physinfo refused)."""
    if host is None:
        return None
    return O('cpus', host.nr_cpus, 'cpu_mhz', host.cpu_mhz,
             'mem_total_k', host.total_kib, 'mem_used_k', host.total_kib - host.free_kib,
             'mem_free_k', host.free_kib)


def summary_object(counts):
    return O('domains', counts['domains'], 'running', counts['running'],
             'blocked', counts['blocked'], 'paused', counts['paused'],
             'crashed', counts['crashed'], 'dying', counts['dying'],
             'shutdown', counts['shutdown'])


def domain_object(d):
    unlimited = dommod.max_pages_unlimited(d.max_pages)
    return O('id', d.domid, 'state', d.state, 'status', d.status,
             'cpu_ns', d.cpu_time, 'cpu_sec', d.cpu_time // 1000000000,
             'cpu_pct_x10', d.cpu_pct,
             'mem_k', dommod.pages_to_kib(d.tot_pages),
             'mem_pct_x10', d.mem_pct,
             'maxmem_k', None if unlimited else dommod.pages_to_kib(d.max_pages),
             'vcpus', d.nr_online_vcpus, 'ssid', d.ssidref, 'cpupool', d.cpupool,
             'uuid', table.uuid_text(d.handle))


def poll_parts(n, version, uptime_ns, doms, host=None, all_doms=None):
    """One poll's line in pieces (a generator: with 1000 domains the whole
    line, ~250 KB, never sits in the heap; the console joins the pieces into
    one line). doms: the domains shown (after domains=), in ID order;
    all_doms: every domain listed (for the summary), default doms."""
    counts = table.summary(doms if all_doms is None else all_doms)
    head = dumps(O(*(_head('poll', uptime_ns) + (
        'poll', n, 'xen', version, 'host', host_object(host),
        'summary', summary_object(counts)))))
    yield head[:-1] + ',"domains":['
    sep = ''
    for d in doms:
        yield sep + dumps(domain_object(d))
        sep = ','
    yield ']}'


def poll_line(n, version, uptime_ns, doms, host=None, all_doms=None):
    """One poll as one string."""
    return ''.join(poll_parts(n, version, uptime_ns, doms, host, all_doms))


def unlisted_line(n, version, uptime_ns, why, own_cpu_ns, host=None):
    """A poll whose domain list was refused: what the monitor may report."""
    return dumps(O(*(_head('poll', uptime_ns) + (
        'poll', n, 'xen', version, 'host', host_object(host), 'summary', None,
        'domains', None, 'error', why, 'own_cpu_ns', own_cpu_ns))))


def error_line(uptime_ns, where, error, errors):
    """An error the monitor survived (docs/faults.md); errors: how many so far."""
    return dumps(O(*(_head('error', uptime_ns) + (
        'where', where, 'error', error, 'errors', errors))))


def event_line(uptime_ns, domid, was, now):
    """was None: appeared; now None: gone."""
    kind = 'appeared' if was is None else ('gone' if now is None else 'changed')
    return dumps(O(*(_head('event', uptime_ns) + (
        'domain', domid, 'event', kind, 'from', was, 'to', now))))


def alert_line(uptime_ns, domid, rule, status, detail):
    return dumps(O(*(_head('alert', uptime_ns) + (
        'domain', domid, 'rule', rule, 'status', status, 'detail', detail))))
