# SPDX-License-Identifier: MIT
"""Read a stubmon serial log: the monitor's tables and Xen's timestamps.

A poll, as monitor/stubmon/table.py prints it:

    stubmon poll 3: xen 4.20.4, uptime 12.5s, 2 domains
    stubmon host: Mem: 1048576k total, 524288k used, 524288k free, CPUs: 2 @ 2400MHz
    stubmon domains: 2 domains: 1 running, 0 blocked, 1 paused, 0 crashed, 0 dying, 0 shutdown
       ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%) MEM(%) SSID Pool UUID
        0 r-----          64          64     1      1.2    3.4    6.3    0    0 00000000-0000-0000-0000-000000000000
        1 --p---           0          16     0      0.0      -    0.0    0    0 00000000-0000-0000-0000-000000000000
    stubmon poll 3 end

The host line is there when Xen answers physinfo. The rows' columns are
the ones the column-title line names, read as the monitor declares them
(columns.COLUMNS: monitor/stubmon/columns.py itself, linked into this
package; a monitor appends new ones at the right). Lines of format=json
(one object per line, starting with '{"schema":"stubmon/2"', SCHEMA;
'"stubmon/1"' from older monitors, the same keys and fewer) are read by
json_lines().
"""  # noqa: E501 (real output)

import json
import re

from . import columns

HEADER = re.compile(r"^stubmon poll (\d+): xen (\S+), uptime (\d+)\.(\d)s, (\d+|\?) domains$")
END = re.compile(r"^stubmon poll (\d+) end$")
VIEW = "stubmon view: "  # which rows a poll shows (view=, docs/options.md#view)
SCHEMA = "stubmon/2"  # the newest format=json schema known here (jsonout.SCHEMA)
# The table's columns, as the monitor declares them: their titles in order,
# and the title of the column that shows each record field (its values read
# by each column's `read`: "int", "tenths" (one decimal, kept in tenths) or
# "text"; "-" is None but in "text").
COLUMNS = [c.title for c in columns.COLUMNS]
TITLE = {c.field: c.title for c in columns.COLUMNS}
ID = TITLE["domid"]  # a row's domain id
_READ = tuple([(c.title, c.read) for c in columns.COLUMNS])  # what a row reads, made once
# ", busy 12.5%" (getcpuinfo, from the second poll on) is optional: older
# monitors and refused getcpuinfo print the line without it
HOST = re.compile(
    r"^stubmon host: Mem: (\d+)k total, (\d+)k used, (\d+)k free, CPUs: (\d+) @ (\d+)MHz"
    r"(?:, busy (\d+)\.(\d)%)?$"
)
# pcpus=1 and vcpus=1 (stubmon/2): under the host line, under a domain's row
PCPU = re.compile(r"^stubmon pcpu (\d+): busy (-|\d+\.\d)%, idle (\d+)\.(\d)s$")
VCPU = re.compile(
    r"^stubmon vcpu (\d+)\.(\d+): (offline|running|blocked|runnable), pcpu (\d+), "
    r"time (\d+)\.(\d)s, cpu (-|\d+\.\d)%$"
)
SUMMARY = re.compile(
    r"^stubmon domains: (\d+) domains: (\d+) running, (\d+) blocked, (\d+) paused, "
    r"(\d+) crashed, (\d+) dying, (\d+) shutdown$"
)
# "host" for a host-wide rule (hostmem<, pcpu>, log:): domid None
ALERT = re.compile(
    r"^stubmon ALERT (\d+)\.(\d{3})s: (?:domain (\d+)|host) (\S+) (firing|cleared) \((.*)\)$"
)
XEN_STAMP = re.compile(r"^\(XEN\) \[\s*(\d+)\.(\d+)\] (.*)$")
# What Xen prints for a guest's debug-port (0xE9) or console_io output when
# the guest is not the hardware domain: "(d3) [   1.234567] text".
GUEST_PREFIX = re.compile(r"^\(d(\d+)\) (?:\[\s*\d+\.\d+\] )?")


def guest_lines(lines, domid):
    """The lines domain `domid` printed through Xen, prefix removed."""
    out = []
    for line in mended(lines):
        m = GUEST_PREFIX.match(line)
        if m and int(m.group(1)) == domid:
            out.append(line[m.end() :])
    return out


class Poll:
    def __init__(self, number, xen, uptime_ds, count):
        self.number = number
        self.xen = xen
        self.uptime_ds = uptime_ds  # tenths of a second
        self.count = count  # None: the list could not be read
        self.rows = []  # dicts keyed by COLUMNS (those the table has)
        self.columns = len(COLUMNS)  # fields a row has, as the title line says
        self.complete = False
        self.host = None  # {"total_k", "used_k", "free_k", "cpus", "mhz", "busy"}
        # busy: tenths of a percent, None when not printed
        self.pcpus = []  # pcpus=1: {"cpu", "busy" (tenths or None), "idle_ds"}
        self.vcpus = {}  # vcpus=1: domid: [{"vcpu", "state", "pcpu", "time_ds", "cpu"}]
        self.summary = None  # {"domains", "running", ... "shutdown"}
        self.view = None  # the 'stubmon view:' line's text (view=), None: every row
        self.cpu_lines = 0  # pcpu and vcpu lines read (at most MAX_CPU_LINES)

    def row(self, domid):
        for r in self.rows:
            if r[ID] == domid:
                return r
        return None

    def ids(self):
        return [r[ID] for r in self.rows]


def _value(read, text):
    if read == "text":
        return text
    if text == "-":
        return None
    if read == "tenths":
        whole, _, tenth = text.partition(".")
        return int(whole) * 10 + int(tenth or 0)
    return int(text)


def _is_titles(fields):
    """Whether a line's fields are the column titles: COLUMNS in order as
    far as both go, ID and State at least (an older monitor printed fewer;
    a newer one appends columns not known here, their values passed over)."""
    n = min(len(fields), len(COLUMNS))
    return n >= 2 and fields[:n] == COLUMNS[:n]


ROW_STATE = re.compile(r"^[r-][b-][p-][s-][-rscwS?][d-]$")
MAX_ROWS = 0x7FF0  # rows a table can have: one per domain id Xen gives
MAX_CPU_LINES = 1 << 16  # pcpu and vcpu lines a poll can have (Xen: NR_CPUS <= 16384)


class PollReader:
    """Table polls from a stream, a line at a time: feed() returns the
    Poll a line completed (its end line), else None; `current` is the poll
    being read. Raises ValueError on a row or an end that does not parse;
    the poll being read is then dropped."""

    def __init__(self):
        self.current = None

    def feed(self, line):
        m = HEADER.match(line)
        if m:
            self.current = Poll(
                int(m.group(1)),
                m.group(2),
                int(m.group(3)) * 10 + int(m.group(4)),
                None if m.group(5) == "?" else int(m.group(5)),
            )
            return None
        current = self.current
        if current is None or current.complete:
            return None
        try:
            return self._feed(current, line)
        except ValueError:
            self.current = None
            raise

    @staticmethod
    def _feed(current, line):
        if FOREIGN.match(line):
            return None  # Xen's line or another domain's, never ours: first, as a
            # guest's "(d5) r----- ..." has a row's shape and would
            # fail as one, dropping the poll
        fields = line.split()
        if _is_titles(fields):
            current.columns = len(fields)
            return None
        m = HOST.match(line)
        if m:
            g = m.groups()
            current.host = dict(
                zip(("total_k", "used_k", "free_k", "cpus", "mhz"), [int(x) for x in g[:5]])
            )
            current.host["busy"] = None if g[5] is None else int(g[5]) * 10 + int(g[6])
            return None
        if line.startswith("stubmon pcpu ") or line.startswith("stubmon vcpu "):
            PollReader._cpu_line(current, line)
            return None
        m = SUMMARY.match(line)
        if m:
            current.summary = dict(
                zip(
                    ("domains", "running", "blocked", "paused", "crashed", "dying", "shutdown"),
                    [int(g) for g in m.groups()],
                )
            )
            return None
        if line.startswith(VIEW):
            current.view = line[len(VIEW) :]
            return None
        m = END.match(line)
        if m:
            if int(m.group(1)) != current.number:
                raise ValueError("poll %d ended as %s" % (current.number, m.group(1)))
            # the header counts the rows shown (a view's), the summary all
            if len(current.rows) != (current.count or 0):
                raise ValueError(
                    "poll %d: header says %d domains, table has %d"
                    % (current.number, current.count, len(current.rows))
                )
            current.complete = True
            return current
        if len(fields) != current.columns or not ROW_STATE.match(fields[1]):
            if line.startswith("stubmon") or line.startswith("("):
                return None  # a message between the header and the end, or a
                # line of Xen's or of another domain's (dN)
            raise ValueError("poll %d: bad row %r" % (current.number, line[:80]))
        # more rows than the header said can never end well: said now, not
        # after a stream without an end line has filled memory with them
        if len(current.rows) >= min(current.count or 0, MAX_ROWS):
            raise ValueError(
                "poll %d: more rows than the header's %s domains" % (current.number, current.count)
            )
        current.rows.append({t: _value(r, f) for (t, r), f in zip(_READ, fields)})
        return None

    @staticmethod
    def _cpu_line(current, line):
        current.cpu_lines += 1
        if current.cpu_lines > MAX_CPU_LINES:
            raise ValueError("poll %d: over %d CPU lines" % (current.number, MAX_CPU_LINES))
        m = PCPU.match(line)
        if m:
            current.pcpus.append(
                {
                    "cpu": int(m.group(1)),
                    "busy": _tenths(m.group(2)),
                    "idle_ds": int(m.group(3)) * 10 + int(m.group(4)),
                }
            )
            return
        m = VCPU.match(line)
        if not m:
            raise ValueError("poll %d: bad CPU line %r" % (current.number, line[:80]))
        current.vcpus.setdefault(int(m.group(1)), []).append(
            {
                "vcpu": int(m.group(2)),
                "state": m.group(3),
                "pcpu": int(m.group(4)),
                "time_ds": int(m.group(5)) * 10 + int(m.group(6)),
                "cpu": _tenths(m.group(7)),
            }
        )


def _tenths(text):
    if text == "-":
        return None
    whole, _, tenth = text.partition(".")
    return int(whole) * 10 + int(tenth)


def polls(lines):
    """Every table in the log, in order (the last one possibly incomplete).
    Raises ValueError on a table that does not parse (a row in the wrong
    shape, a count that does not match)."""
    found = []
    reader = PollReader()
    for line in mended(lines):
        reader.feed(line)
        if reader.current is not None and (not found or found[-1] is not reader.current):
            found.append(reader.current)
    return found


EVENT = re.compile(r"^stubmon event (\d+)\.(\d{3})s: domain (\d+) (.*)$")
GUEST = re.compile(
    r"^(?:\(XEN\) )?(?:\[\s*(\d+)\.(\d+)\] )?\(d(\d+)\) (?:\[\s*(\d+)\.(\d+)\] )?(.*)$"
)


def _us(sec, frac):
    return int(sec) * 1000000 + int(frac.ljust(6, "0")[:6])


def events(lines):
    """The monitor's event lines (monitor/stubmon/events.py) as (time in us,
    domid, what), what being e.g. 'blocked -> crashed' or 'appeared (paused)'."""
    out = []
    for line in mended(lines):
        m = EVENT.match(line)
        if m:
            out.append(
                (int(m.group(1)) * 1000000 + int(m.group(2)) * 1000, int(m.group(3)), m.group(4))
            )
    return out


def alerts(lines):
    """The monitor's ALERT lines (monitor/stubmon/alerts.py) as (time in us, domid,
    rule, 'firing' or 'cleared', detail)."""
    out = []
    for line in mended(lines):
        m = ALERT.match(line)
        if m:
            out.append(
                (
                    int(m.group(1)) * 1000000 + int(m.group(2)) * 1000,
                    None if m.group(3) is None else int(m.group(3)),
                    m.group(4),
                    m.group(5),
                    m.group(6),
                )
            )
    return out


FOREIGN = re.compile(r"\((?:XEN|d\d+)\) ")


class Mender:
    """Puts back a line of ours that a foreign line cut. On several CPUs
    Xen prints each of the image's console pieces under its lock, not the
    line, so another domain's or Xen's whole line ("(d2) [ t ] text" or
    "(XEN) ...", newline included) can land inside one of ours: the start
    of ours, the foreign line, then the rest of ours on the next line.
    feed() returns the lines to read, foreign ones on their own and ours
    whole (the start held until the next line brings the rest)."""

    def __init__(self):
        self.held = None

    def feed(self, line):
        out = []
        if self.held is not None:
            line, self.held = self.held + line, None
        m = None if FOREIGN.match(line) else FOREIGN.search(line, 1)
        if m:
            out.append(line[m.start() :])
            self.held = line[: m.start()]
        else:
            out.append(line)
        return out

    def flush(self):
        held, self.held = self.held, None
        return [] if held is None else [held]


def mended(lines):
    """The log with every line of ours that a foreign line cut put back
    together, the foreign line after it (see Mender)."""
    mender = Mender()
    out = []
    held = []
    for line in lines:
        got = mender.feed(line)
        if mender.held is not None:
            held.extend(got)  # the foreign line: after ours, once it is whole
            continue
        out.extend(got)
        out.extend(held)
        held = []
    out.extend(mender.flush())
    out.extend(held)
    return out


JSON_START = '{"schema":'


class JsonReader:
    """format=json objects from a stream, a line at a time, put back
    together when a foreign line cut one (see json_lines). feed() returns
    the object a line completed, else None; raises ValueError on a line
    that does not parse (that object is dropped). `foreign`, if a list,
    receives the foreign lines found inside ours; `partial` says whether
    an object is being put together."""

    def __init__(self, foreign=None, limit=1 << 20):
        self.buf = None
        self.foreign = foreign
        self.limit = limit  # a runaway object (garbage after '{"schema":') is dropped

    @property
    def partial(self):
        return self.buf is not None

    def feed(self, line):
        if self.buf is None:
            if not line.startswith(JSON_START):
                return None
            self.buf = ""
        # from 0: a line that starts with a foreign mark while an object is
        # open is another's whole line, never our rest (a guest's second line
        # after the one that cut ours would otherwise complete our object)
        m = FOREIGN.search(line)
        if m is not None and self.foreign is not None:
            self.foreign.append(line[m.start() :])
        self.buf += line[: m.start()] if m else line
        try:
            obj = json.loads(self.buf)
        except ValueError:
            if m is None or len(self.buf) > self.limit:
                text, self.buf = self.buf, None
                raise ValueError("bad JSON line: %r" % text[:80])
            return None
        self.buf = None
        return obj


def json_lines(lines, foreign=None):
    """Every format=json object in the log, in order (lines starting with
    '{"schema":'); raises ValueError on one that does not parse.

    On a host with several CPUs a long JSON line can be cut by what
    another domain or Xen prints at the same moment: the image writes 256
    bytes per hypercall, Xen prints each piece under its console lock, and
    a whole foreign line ("(d1) [ t ] text" or "(XEN) ...", with its
    newline) may land between two pieces. The object is put
    back together: the text before the foreign line, then the next lines
    until it parses. `foreign`, if a list, receives the foreign lines."""
    out = []
    reader = JsonReader(foreign)
    for line in lines:
        obj = reader.feed(line)
        if obj is not None:
            out.append(obj)
    if reader.partial:
        raise ValueError("log ends inside a JSON line: %r" % reader.buf[:80])
    return out


def stamped_lines(lines):
    """Lines other domains wrote to the Xen console, as (Xen's timestamp in
    us or None, domid, text). Xen shows them as "(dN) [ t ] text" (4.17,
    4.20 with console_timestamps) or "(XEN) [ t ] (dN) text"."""
    out = []
    for line in mended(lines):
        m = GUEST.match(line)
        if m:
            if m.group(1):
                t = _us(m.group(1), m.group(2))
            elif m.group(4):
                t = _us(m.group(4), m.group(5))
            else:
                t = None
            out.append((t, int(m.group(3)), m.group(6)))
    return out


def xen_stamp(lines, text):
    """Xen's console timestamp (microseconds since boot) of the first Xen
    line containing `text`, or None."""
    for line in lines:
        m = XEN_STAMP.match(line)
        if m and text in m.group(3):
            return int(m.group(1)) * 1000000 + int(m.group(2).ljust(6, "0")[:6])
    return None
