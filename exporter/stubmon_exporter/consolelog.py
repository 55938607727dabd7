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

The host line is there when Xen answers physinfo. Lines of format=json
(one object per line, starting with '{"schema":"stubmon/1"') are read by
json_lines().
"""
import json
import re

HEADER = re.compile(r"^stubmon poll (\d+): xen (\S+), uptime (\d+)\.(\d)s, (\d+|\?) domains$")
END = re.compile(r"^stubmon poll (\d+) end$")
VIEW = "stubmon view: "   # which rows a poll shows (view=, docs/options.md#view)
COLUMNS = ["ID", "State", "Mem(MiB)", "MaxMem(MiB)", "VCPUs", "Time(s)", "CPU(%)",
           "MEM(%)", "SSID", "Pool", "UUID"]
# ", busy 12.5%" (getcpuinfo, from the second poll on) is optional: older
# monitors and refused getcpuinfo print the line without it
HOST = re.compile(r"^stubmon host: Mem: (\d+)k total, (\d+)k used, (\d+)k free, CPUs: (\d+) @ (\d+)MHz"
                  r"(?:, busy (\d+)\.(\d)%)?$")
SUMMARY = re.compile(r"^stubmon domains: (\d+) domains: (\d+) running, (\d+) blocked, (\d+) paused, "
                     r"(\d+) crashed, (\d+) dying, (\d+) shutdown$")
ALERT = re.compile(r"^stubmon ALERT (\d+)\.(\d{3})s: domain (\d+) (\S+) (firing|cleared) \((.*)\)$")
XEN_STAMP = re.compile(r"^\(XEN\) \[\s*(\d+)\.(\d+)\] (.*)$")
# What Xen prints for a guest's debug-port (0xE9) or console_io output when
# the guest is not the hardware domain: "(d3) [   1.234567] text".
GUEST_PREFIX = re.compile(r"^\(d(\d+)\) (?:\[\s*\d+\.\d+\] )?")


def guest_lines(lines, domid):
    """The lines domain `domid` printed through Xen, prefix removed."""
    out = []
    for line in lines:
        m = GUEST_PREFIX.match(line)
        if m and int(m.group(1)) == domid:
            out.append(line[m.end():])
    return out


class Poll:
    def __init__(self, number, xen, uptime_ds, count):
        self.number = number
        self.xen = xen
        self.uptime_ds = uptime_ds      # tenths of a second
        self.count = count              # None: the list could not be read
        self.rows = []                  # dicts keyed by COLUMNS
        self.complete = False
        self.host = None                # {"total_k", "used_k", "free_k", "cpus", "mhz", "busy"}
                                        # busy: tenths of a percent, None when not printed
        self.summary = None             # {"domains", "running", ... "shutdown"}
        self.view = None                # the 'stubmon view:' line's text (view=), None: every row

    def row(self, domid):
        for r in self.rows:
            if r["ID"] == domid:
                return r
        return None

    def ids(self):
        return [r["ID"] for r in self.rows]


def _value(column, text):
    if column in ("State", "UUID"):
        return text
    if text == "-":
        return None
    if column in ("Time(s)", "CPU(%)", "MEM(%)"):
        whole, _, tenth = text.partition(".")
        return int(whole) * 10 + int(tenth or 0)    # tenths
    return int(text)


def polls(lines):
    """Every table in the log, in order. Raises ValueError on a table that
    does not parse (a row in the wrong shape, a count that does not match)."""
    found = []
    current = None
    for line in lines:
        m = HEADER.match(line)
        if m:
            current = Poll(int(m.group(1)), m.group(2), int(m.group(3)) * 10 + int(m.group(4)),
                           None if m.group(5) == "?" else int(m.group(5)))
            found.append(current)
            continue
        if current is None or current.complete:
            continue
        if line.split() == COLUMNS:
            continue
        m = HOST.match(line)
        if m:
            g = m.groups()
            current.host = dict(zip(("total_k", "used_k", "free_k", "cpus", "mhz"),
                                    [int(x) for x in g[:5]]))
            current.host["busy"] = None if g[5] is None else int(g[5]) * 10 + int(g[6])
            continue
        m = SUMMARY.match(line)
        if m:
            current.summary = dict(zip(("domains", "running", "blocked", "paused", "crashed",
                                        "dying", "shutdown"), [int(g) for g in m.groups()]))
            continue
        if line.startswith(VIEW):
            current.view = line[len(VIEW):]
            continue
        m = END.match(line)
        if m:
            if int(m.group(1)) != current.number:
                raise ValueError("poll %d ended as %s" % (current.number, m.group(1)))
            if len(current.rows) != (current.count or 0):
                raise ValueError("poll %d: header says %d domains, table has %d"
                                 % (current.number, current.count, len(current.rows)))
            current.complete = True
            continue
        fields = line.split()
        if len(fields) != len(COLUMNS) or not re.match(r"^[r-][b-][p-][s-][-rscwS?][d-]$", fields[1]):
            if line.startswith("stubmon") or line.startswith("("):
                continue        # a message between the header and the end, or a
                                # line of Xen's or of another domain's (dN)
            raise ValueError("poll %d: bad row %r" % (current.number, line))
        current.rows.append({c: _value(c, f) for c, f in zip(COLUMNS, fields)})
    return found


EVENT = re.compile(r"^stubmon event (\d+)\.(\d{3})s: domain (\d+) (.*)$")
GUEST = re.compile(r"^(?:\(XEN\) )?(?:\[\s*(\d+)\.(\d+)\] )?\(d(\d+)\) (?:\[\s*(\d+)\.(\d+)\] )?(.*)$")


def _us(sec, frac):
    return int(sec) * 1000000 + int(frac.ljust(6, "0")[:6])


def events(lines):
    """The monitor's event lines (monitor/stubmon/events.py) as (time in us,
    domid, what), what being e.g. 'blocked -> crashed' or 'appeared (paused)'."""
    out = []
    for line in lines:
        m = EVENT.match(line)
        if m:
            out.append((int(m.group(1)) * 1000000 + int(m.group(2)) * 1000, int(m.group(3)), m.group(4)))
    return out


def alerts(lines):
    """The monitor's ALERT lines (monitor/stubmon/alerts.py) as (time in us, domid,
    rule, 'firing' or 'cleared', detail)."""
    out = []
    for line in lines:
        m = ALERT.match(line)
        if m:
            out.append((int(m.group(1)) * 1000000 + int(m.group(2)) * 1000, int(m.group(3)),
                        m.group(4), m.group(5), m.group(6)))
    return out


FOREIGN = re.compile(r"\((?:XEN|d\d+)\) ")


def untangle(lines):
    """The log with a foreign line that landed inside one of ours (see
    json_lines) moved onto a line of its own, after ours: then
    stamped_lines() finds it."""
    out = []
    for line in lines:
        m = None if FOREIGN.match(line) else FOREIGN.search(line, 1)
        if m:
            out.append(line[:m.start()])
            out.append(line[m.start():])
        else:
            out.append(line)
    return out


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
    buf = None
    for line in lines:
        if buf is None:
            if not line.startswith('{"schema":'):
                continue
            buf = ""
        m = FOREIGN.search(line, 1)
        ours = line[:m.start()] if m else line
        buf += ours
        try:
            out.append(json.loads(buf))
            buf = None
        except ValueError:
            if m is None:
                raise
        if m is not None and foreign is not None:
            foreign.append(line[m.start():])
    if buf is not None:
        raise ValueError("log ends inside a JSON line: %r" % buf[:80])
    return out


def stamped_lines(lines):
    """Lines other domains wrote to the Xen console, as (Xen's timestamp in
    us or None, domid, text). Xen shows them as "(dN) [ t ] text" (4.17,
    4.20 with console_timestamps) or "(XEN) [ t ] (dN) text"."""
    out = []
    for line in lines:
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
