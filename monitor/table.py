"""One poll as text, in `xl list` conventions.

Shape (a boot-test parser relies on it; keep it stable):

    stubmon poll N: xen X.Y.Z, uptime S.Ts, D domains
       ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%)
        0 r-----          64          64     1      1.2      -
        1 --p---           0          16     0      0.0    0.0
    stubmon poll N end

- N counts polls from 1. X.Y.Z is major.minor plus Xen's extraversion.
  S.T is Xen's uptime (monotonic clock) in seconds, one decimal.
- D is the number of rows; it is `?` when the domain list could not be read
  (the error line was printed before); then no table follows but one
  status line (format_unlisted): "stubmon poll N: domains not listed
  (EPERM, see above); own cpu 12 ms", the monitor's own vCPU time so far.
- One row per domain, sorted by ID. Columns are right-aligned (State left)
  and separated by at least one space; a column widens for the whole poll
  (header included) when a value does not fit, so the rows stay aligned.
- State: six letters r b p s <shutdown reason> d as in `xl list`.
- Mem: tot_pages in MiB; MaxMem: max_pages in MiB or `-` when unlimited.
- VCPUs: online vCPUs. Time(s): CPU time, one decimal.
- CPU(%): CPU time since the previous poll over wall time since then, one
  decimal (can exceed 100 with several vCPUs); `-` on a domain's first poll.
"""
import domain as dommod

COLUMNS = (('ID', 5), ('State', 6), ('Mem(MiB)', 11), ('MaxMem(MiB)', 11),
           ('VCPUs', 5), ('Time(s)', 8), ('CPU(%)', 6))
STATE_COLUMN = 1   # the only left-aligned column


def tenths_text(tenths):
    return '%d.%d' % (tenths // 10, tenths % 10)


def ns_to_seconds_text(ns):
    # one decimal, rounded half up
    return tenths_text((ns + 50000000) // 100000000)


def _row_cells(d, cpu_tenths):
    if dommod.max_pages_unlimited(d.max_pages):
        maxmem = '-'
    else:
        maxmem = str(dommod.pages_to_mib(d.max_pages))
    return (str(d.domid), dommod.state(d.flags), str(dommod.pages_to_mib(d.tot_pages)),
            maxmem, str(d.nr_online_vcpus), ns_to_seconds_text(d.cpu_time),
            '-' if cpu_tenths is None else tenths_text(cpu_tenths))


def _join(cells, widths):
    out = []
    for i in range(len(cells)):
        pad = ' ' * (widths[i] - len(cells[i]))
        out.append(cells[i] + pad if i == STATE_COLUMN else pad + cells[i])
    return ' '.join(out)


def format_poll(n, version, uptime_ns, domains, cpu):
    """Yields the lines of one poll. domains: list of Domain (usually in ID
    order already, as getdomaininfolist returns them) or None if unreadable; cpu: {domid: tenths
    or None} from CpuLoad.update(). A generator, and cells are rebuilt in a
    second pass, so 1000 domains never sit in the heap as text at once."""
    doms = domains or []
    for i in range(1, len(doms)):
        if doms[i].domid <= doms[i - 1].domid:   # only copy when out of order
            doms = sorted(doms, key=lambda d: d.domid)
            break
    widths = [w for _, w in COLUMNS]
    for d in doms:
        cells = _row_cells(d, cpu.get(d.domid))
        for i in range(len(cells)):
            if len(cells[i]) > widths[i]:
                widths[i] = len(cells[i])
    count = '?' if domains is None else str(len(doms))
    yield ('stubmon poll %d: xen %s, uptime %ss, %s domains'
           % (n, version, ns_to_seconds_text(uptime_ns), count))
    yield _join([t for t, _ in COLUMNS], widths)
    for d in doms:
        yield _join(_row_cells(d, cpu.get(d.domid)), widths)
    yield 'stubmon poll %d end' % n


def format_unlisted(n, version, uptime_ns, why, own_cpu_ns):
    """A poll whose domain list was refused (why: the errno name): what
    the monitor may still report, Xen's version and uptime and its own CPU
    time, in three lines shaped like a table's header and end."""
    yield ('stubmon poll %d: xen %s, uptime %ss, ? domains'
           % (n, version, ns_to_seconds_text(uptime_ns)))
    yield ('stubmon poll %d: domains not listed (%s, see above); own cpu %d ms'
           % (n, why, own_cpu_ns // 1000000))
    yield 'stubmon poll %d end' % n
