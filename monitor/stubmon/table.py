# SPDX-License-Identifier: MIT
"""One poll as text, in `xl list` conventions.

Shape (a boot-test parser relies on it; keep it stable):

    stubmon poll N: xen X.Y.Z, uptime S.Ts, D domains
    stubmon host: Mem: 1048576k total, 524288k used, 524288k free, CPUs: 2 @ 2400MHz
    stubmon domains: 2 domains: 1 running, 0 blocked, 1 paused, 0 crashed, 0 dying, 0 shutdown
       ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%) MEM(%) SSID Pool UUID
        0 r-----          64          64     1      1.2      -    6.3    0    0 00000000-0000-0000-0000-000000000000
        1 --p---           0          16     0      0.0    0.0    0.0    0    0 00000000-0000-0000-0000-000000000000
    stubmon poll N end

  The first seven columns are `xl list`'s and come first, in this order
  (parsers written for them keep working); the rest follow at the right.

- N counts polls from 1. X.Y.Z is major.minor plus Xen's extraversion.
  S.T is Xen's uptime (monotonic clock) in seconds, one decimal.
- D is the number of rows; it is `?` when the domain list could not be read
  (the error line was printed before); then no table follows but one
  status line (format_unlisted): "stubmon poll N: domains not listed
  (EPERM, see above); own cpu 12 ms", the monitor's own vCPU time so far.
- One row per domain, sorted by ID. The columns (title, least width,
  alignment, the record field shown and how) are declared once, in
  columns.COLUMNS; docs/table.md lists them. They are separated by at
  least one space; a column widens for the whole poll (header included)
  when a value does not fit, so the rows stay aligned.

Between the header and the column titles (issue 7), each starting with a
fixed word so parsers skip them:

    stubmon host: Mem: 1048576k total, 524288k used, 524288k free, CPUs: 2 @ 2400MHz
    stubmon domains: 4 domains: 1 running, 0 blocked, 3 paused, 0 crashed, 0 dying, 0 shutdown

The host line comes from XEN_SYSCTL_physinfo and is left out when it is
refused; it ends with `, busy 12.5%` (the pCPUs' mean busy time since the
previous poll, XEN_SYSCTL_getcpuinfo) from the second poll on. pcpus=1
adds under it one line per pCPU:

    stubmon pcpu 0: busy 12.5%, idle 45.6s

and vcpus=1 under each row one line per vCPU (offline, running, blocked
or runnable; the pCPU; CPU time; CPU % since the previous poll):

    stubmon vcpu 1.0: running, pcpu 1, time 4.1s, cpu 100.0%
 The domains line counts every domain listed (also those domains=
leaves out of the rows), each once, in the state its event lines name
(dying, crashed, shutdown, paused, blocked, running: the first that holds).
"""  # noqa: E501 (real output)

from . import columns

# xl list's columns and the rest: declared once, in columns.py
from .columns import tenths_text, ns_to_seconds_text, uuid_text  # noqa: F401 (the API)

STATES = ('running', 'blocked', 'paused', 'crashed', 'dying', 'shutdown')  # xentop's order


def summary_key(status):
    """The summary's name for a status: 'shutdown (reboot)' -> 'shutdown'."""
    return 'shutdown' if status.startswith('shutdown') else status


def summary(doms):
    """{'domains': N, 'running': .., ...}: each domain counted once."""
    c = {'domains': len(doms)}
    for k in STATES:
        c[k] = 0
    for d in doms:
        c[summary_key(d.status)] += 1
    return c


def summary_line(counts):
    return (
        'stubmon domains: %d domains: %d running, %d blocked, %d paused, %d crashed, '
        '%d dying, %d shutdown' % ((counts['domains'],) + tuple([counts[k] for k in STATES]))
    )


def host_line(host):
    """host: a hypercalls.PhysInfo. xentop's Mem and CPUs figures, then
    the host's busy % when getcpuinfo gave it (appended: parsers of the
    shorter line match its prefix)."""
    line = 'stubmon host: Mem: %dk total, %dk used, %dk free, CPUs: %d @ %dMHz' % (
        host.total_kib,
        host.total_kib - host.free_kib,
        host.free_kib,
        host.nr_cpus,
        host.cpu_mhz,
    )
    busy = getattr(host, 'busy', None)  # a script's own host object may have none
    if busy is not None:
        line += ', busy %s%%' % tenths_text(busy)
    return line


def pcpu_line(cpu, busy, idle_ns):
    """pcpus=1: one pCPU, as xentop -p: busy % since the previous poll
    (`-` on the first) and its idle time since boot."""
    return 'stubmon pcpu %d: busy %s%%, idle %ss' % (
        cpu,
        columns.pct_text(busy),
        ns_to_seconds_text(idle_ns),
    )


def vcpu_line(domid, v):
    """vcpus=1: one vCPU (a vcpus.VCpu) under its domain's row, as
    `xentop -v`; starts with `stubmon` so row parsers skip it."""
    from .vcpus import state_word

    return 'stubmon vcpu %d.%d: %s, pcpu %d, time %ss, cpu %s%%' % (
        domid,
        v.vcpu,
        state_word(v),
        v.pcpu,
        ns_to_seconds_text(v.cpu_time),
        columns.pct_text(v.cpu_pct),
    )


def in_id_order(doms):
    for i in range(1, len(doms)):
        if doms[i].domid <= doms[i - 1].domid:  # only copy when out of order
            return sorted(doms, key=lambda d: d.domid)
    return doms


def format_poll(snap, cols=None):
    """Yields the lines of one poll from its snapshot.Snapshot: rows (record.Domain
    in ID order, or in the order view= sorted them, with their CPU and MEM
    % derived; None if unreadable), host (a hypercalls.PhysInfo or None),
    counts (the summary of every domain, when the rows are fewer; None: of
    the rows), view_line (the line saying which rows these are, None for all
    of them), vcpus ({domid: [vcpus.VCpu]} with vcpus=1: each domain's lines
    after its row); cols: a columns.Columns, default the declared columns.
    A generator: the column widths come from one pass over the values, then
    each row is one %-format, so 1000 domains never sit in the heap as text
    at once and no row is built twice."""
    cols = cols or columns.DECLARED
    domains, host, view, vcpus = snap.rows, snap.host, snap.view_line, snap.vcpus
    doms = in_id_order(domains or []) if view is None else domains
    widths = cols.widths(doms)
    count = '?' if domains is None else str(len(doms))
    yield (
        'stubmon poll %d: xen %s, uptime %ss, %s domains'
        % (snap.n, snap.version, ns_to_seconds_text(snap.now), count)
    )
    if host is not None:
        yield host_line(host)
        for cpu, busy, idle in getattr(host, 'pcpus', None) or ():
            yield pcpu_line(cpu, busy, idle)
    yield summary_line(summary(doms) if snap.counts is None else snap.counts)
    if view is not None:
        yield view
    header, fmt = cols.layout(widths)
    yield header
    for d, cells in zip(doms, cols.each(doms, cols.cells)):
        yield fmt % cells
        if vcpus:
            for v in vcpus.get(d.domid, ()):
                yield vcpu_line(d.domid, v)
    yield 'stubmon poll %d end' % snap.n


def format_unlisted(n, version, uptime_ns, why, own_cpu_ns):
    """A poll whose domain list was refused (why: the errno name): what
    the monitor may still report, Xen's version and uptime and its own CPU
    time, in three lines shaped like a table's header and end."""
    yield (
        'stubmon poll %d: xen %s, uptime %ss, ? domains'
        % (n, version, ns_to_seconds_text(uptime_ns))
    )
    yield (
        'stubmon poll %d: domains not listed (%s, see above); own cpu %d ms'
        % (n, why, own_cpu_ns // 1000000)
    )
    yield 'stubmon poll %d end' % n
