# SPDX-License-Identifier: MIT
"""What one monitor's console stream says, as its latest state.

Monitor.feed() takes the stream's lines in order (tables, format=json
objects, event, alert and error lines, and everything else a console
carries); the metrics are read from the fields it keeps. Nothing here
raises on bad input: a line that does not parse, or an object with a value
outside its rule (checks.py), is counted (parse_errors) and skipped."""

import re
import sys
import time

from . import checks, consolelog
from .stream import MAX_LINE

STATES = ("running", "blocked", "paused", "shutdown", "crashed", "dying")
# stubmon's "status" of a domain: the first of these that holds (the
# summary line counts each domain once in this order)
ERROR_LINE = re.compile(r"^stubmon: (?:error in|out of memory in) (.*?)(?::|;) ")
XENLOG = "stubmon xenlog: "  # xenlog=1: a line of Xen's own log
LOST_LINE = re.compile(r"^stubmon: xenlog: \d+ bytes of Xen's log lost \((\d+) since start\)")
VIEW_ALL = "all "  # 'stubmon view: all N domains, by cpu': every row
SILENT_INTERVALS = 3  # down after this many intervals without a poll
SILENT_MIN_S = 5.0  # ... and never sooner than this
SILENT_UNKNOWN_S = 30.0  # before two polls have told the interval
SAID_PER_KIND = 5  # parse errors said on stderr per kind (then only counted)
MAX_ALERTS = 1024  # (domid, rule) series kept: whatever the stream says, bounded
BAD_VALUE = "bad_value"  # the parse error kind of an object rejected by checks.py


# what a text line gives, checked as its JSON twin is (checks.py)
EVENT_VALUES = checks.Obj({"domain": checks.DOMID})
ALERT_VALUES = checks.Obj({"domain": checks.Null(checks.DOMID), "rule": checks.RULE})
LOST_VALUES = checks.Obj({"lost": checks.U64})
ERROR_VALUES = checks.Obj({"where": checks.TEXT})  # kept (a text line and its JSON twin)


def status_of(letters):
    """The summary's state of a domain from xl's six letters."""
    if letters[5] == "d":
        return "dying"
    if letters[4] == "c":
        return "crashed"
    if letters[3] == "s":
        return "shutdown"
    if letters[2] == "p":
        return "paused"
    if letters[1] == "b":
        return "blocked"
    return "running"


class Domain:
    __slots__ = (
        "domid",
        "letters",
        "status",
        "cpu_seconds",
        "mem_bytes",
        "maxmem_bytes",
        "vcpus",
        "ssid",
        "cpupool",
        "uuid",
        "vcpu_list",
    )

    def __init__(
        self, domid, letters, cpu_seconds, mem_bytes, maxmem_bytes, vcpus, ssid, cpupool, uuid
    ):
        self.domid = domid
        self.letters = letters
        self.status = status_of(letters)
        self.cpu_seconds = cpu_seconds
        self.mem_bytes = mem_bytes
        self.maxmem_bytes = maxmem_bytes  # None: unlimited
        self.vcpus = vcpus
        self.ssid = ssid
        self.cpupool = cpupool
        self.uuid = uuid
        self.vcpu_list = None  # vcpus=1 (stubmon/2): [VCpu], else None


class VCpu:
    __slots__ = ("vcpu", "state", "pcpu", "cpu_seconds")

    def __init__(self, vcpu, state, pcpu, cpu_seconds):
        self.vcpu = vcpu
        self.state = state  # offline, running, blocked, runnable
        self.pcpu = pcpu
        self.cpu_seconds = cpu_seconds


def vcpu_state(online, running, blocked):
    if not online:
        return "offline"
    if running:
        return "running"
    return "blocked" if blocked else "runnable"


def _per(n):
    """A count of 1/n units -> units (tenths of a second, ns -> seconds)."""
    return lambda v: v / n


def _bytes(shift):
    """MiB (20) or KiB (10) -> bytes; None (unlimited) stays None."""
    return lambda v: None if v is None else v << shift


_REQUIRED = object()
# Where each Domain value comes from, in a table row and in a format=json
# domain, in Domain()'s order: (its Domain attribute, the record field whose
# column shows it (its title in the monitor's declaration, consolelog.TITLE),
# the column's text -> the value (None: as it is), the JSON key, its value ->
# the value, the default where a JSON domain leaves the key out). Rows are
# consolelog's (MiB, tenths of seconds), JSON stubmon/1's keys (KiB, ns).
DOMAIN_VALUES = (
    ("domid", "domid", None, "id", None, _REQUIRED),
    ("letters", "state", None, "state", None, _REQUIRED),
    ("cpu_seconds", "cpu_time", _per(10.0), "cpu_ns", _per(1e9), _REQUIRED),
    ("mem_bytes", "tot_pages", _bytes(20), "mem_k", _bytes(10), _REQUIRED),
    ("maxmem_bytes", "max_pages", _bytes(20), "maxmem_k", _bytes(10), None),
    ("vcpus", "nr_online_vcpus", None, "vcpus", None, _REQUIRED),
    ("ssid", "ssidref", None, "ssid", None, 0),
    ("cpupool", "cpupool", None, "cpupool", None, 0),
    ("uuid", "handle", None, "uuid", None, ""),
)
# made once from it: each source's (where, conv), in Domain()'s order
_FROM_ROW = tuple([(consolelog.TITLE[field], conv) for _, field, conv, _, _, _ in DOMAIN_VALUES])
_FROM_JSON = tuple([(key, conv, default) for _, _, _, key, conv, default in DOMAIN_VALUES])


def domain_from_row(row, vcpus=None):
    """A table row (consolelog) and its vcpu lines."""
    d = Domain(*[row[t] if conv is None else conv(row[t]) for t, conv in _FROM_ROW])
    if vcpus is not None:
        d.vcpu_list = [VCpu(v["vcpu"], v["state"], v["pcpu"], v["time_ds"] / 10.0) for v in vcpus]
    return d


def domain_from_json(d):
    """A format=json poll's domain (stubmon/1's keys; /2 adds vcpu_list)."""
    values = []
    for key, conv, default in _FROM_JSON:
        v = d[key] if default is _REQUIRED else d.get(key, default)
        values.append(v if conv is None else conv(v))
    dom = Domain(*values)
    vl = d.get("vcpu_list")  # stubmon/2, vcpus=1
    if vl is not None:
        dom.vcpu_list = [
            VCpu(
                v["vcpu"],
                vcpu_state(v["online"], v["running"], v["blocked"]),
                v["pcpu"],
                v["cpu_ns"] / 1e9,
            )
            for v in vl
        ]
    return dom


FOREIGN_BYTES = re.compile(rb"\((?:XEN|d\d+)\) ")  # consolelog.FOREIGN, in bytes


def _foreign_only(raw):
    """Whether the bytes that are not UTF-8 in `raw` are all in a foreign
    line (from the first mark on, as consolelog.Mender splits): a guest's
    Latin-1 is passed over with its line, not counted as noise of ours."""
    m = FOREIGN_BYTES.search(raw)
    if m is None:
        return False
    try:
        raw[: m.start()].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _number(digits):
    """The int a line's digits say; too many of them stay text, for the
    check to refuse (int() of thousands of digits is slow, then raises)."""
    return int(digits) if len(digits) <= 40 else digits


def _kind_said(obj):
    kind = obj.get("type")
    return kind if type(kind) is str and len(kind) <= 16 else "format=json"


class Monitor:
    """One stream (one host's monitor)."""

    def __init__(self, host, clock=time.time, log=sys.stderr):
        self.host = host
        self.clock = clock
        self.log = log
        self.domains = {}  # domid: Domain, as of the latest poll
        self.xen = None  # Xen's version text
        self.host_info = None  # {"total_k", "free_k", "cpus", "mhz", "busy"}
        self.pcpus = None  # pcpus=1 (stubmon/2): [{"cpu", "busy", "idle_s"}]
        self.log_lines = 0  # xenlog=1: Xen's own log lines forwarded
        self._log_text = self._log_json = 0  # ... as text and as JSON (table+json: both)
        self.log_lost_bytes = 0  # bytes of Xen's log its ring overwrote unread
        self._lost_json = 0
        self.summary = None  # {"domains", "running", ...}
        self.polls = 0  # polls read (a table and its JSON twin count once)
        self.poll_number = None  # the monitor's own number of the latest poll
        self.poll_uptime_ds = None  # Xen's uptime at it, tenths of a second
        self.interval_s = None  # between the latest two polls, by Xen's uptime
        self.last_poll_time = None  # our clock when the latest poll was read
        self.errors = 0  # errors the monitor reported (and survived)
        self._error_keys = set()  # (poll, where): a text line and its JSON twin
        self.events = {"appeared": 0, "changed": 0, "gone": 0}
        self.alerts = {}  # (domid, rule): True firing, False cleared
        self.lines = 0
        self.parse_errors = {}  # kind: count
        self.stream_events = {}  # rotated, truncated, reopened, ended: count
        self.ended = False  # the stream ended (a pipe closed)
        self._tables = consolelog.PollReader()
        self._foreign = []  # lines of others found inside a JSON line
        self._mender = consolelog.Mender()  # ... or inside a table line
        self._json = consolelog.JsonReader(self._foreign)

    # --- input ---------------------------------------------------------------
    def feed_bytes(self, raw):
        """One line as read, newline removed."""
        if len(raw) > MAX_LINE:
            self.overlong(MAX_LINE)
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            # serial noise (a baud mismatch, a reset): the rest of the line may still be ours
            line = raw.decode("utf-8", "replace")
            if not _foreign_only(raw):
                self.parse_error("encoding", "bytes that are not UTF-8 in %r" % raw[:60])
        self.feed(line)

    def feed(self, line):
        line = line.rstrip("\r\n")
        self.lines += 1
        try:
            if self._json.partial or line.startswith(consolelog.JSON_START):
                self._feed_json(line)
                return
            # a foreign line (dN)/(XEN) that landed inside one of ours: both read,
            # ours once its rest has come on the next line
            for part in self._mender.feed(line):
                self._feed_text(part)
        except Exception as e:
            # what the parsers did not foresee must not end the reader thread
            # (the exporter would serve a frozen state without a word)
            self.parse_error("internal", "%s: %s, reading %r" % (type(e).__name__, e, line[:80]))

    def _feed_json(self, line):
        try:
            obj = self._json.feed(line)
        except ValueError as e:
            self.parse_error("json", str(e))
            obj = None
        if obj is not None:
            self._json_object(obj)
        foreign, self._foreign[:] = list(self._foreign), []
        for f in foreign:
            self._feed_text(f)

    def _feed_text(self, line):
        try:
            poll = self._tables.feed(line)
        except ValueError as e:
            self.parse_error("table", str(e))
            return
        if poll is not None:
            self._table_poll(poll)
            return
        if not line.startswith("stubmon"):
            return
        m = consolelog.EVENT.match(line)
        if m:
            self._event_line(m)
            return
        m = consolelog.ALERT.match(line)
        if m:
            self._alert_line(m)
            return
        m = ERROR_LINE.match(line)
        if m:
            self._checked_line(
                line, {"where": m.group(1)}, ERROR_VALUES, lambda v: self._error(v["where"])
            )
            return
        if line.startswith(XENLOG):
            self._log_text += 1
            self._log_count()
            return
        m = LOST_LINE.match(line)
        if m:
            self._checked_line(
                line,
                {"lost": _number(m.group(1))},
                LOST_VALUES,
                lambda v: self._lost_text(v["lost"]),
            )

    def _event_line(self, m):
        what = m.group(4)
        kind = what.split(" ", 1)[0] if what.startswith(("appeared", "gone")) else "changed"
        self._checked_line(
            m.group(0),
            {"domain": _number(m.group(3))},
            EVENT_VALUES,
            lambda v: self._event(v["domain"], kind),
        )

    def _alert_line(self, m):
        values = {
            "domain": None if m.group(3) is None else _number(m.group(3)),
            "rule": m.group(4),
        }
        self._checked_line(
            m.group(0),
            values,
            ALERT_VALUES,
            lambda v: self._alert(v["domain"], v["rule"], m.group(5) == "firing"),
        )

    def _checked_line(self, line, values, rule, then):
        """then(values) unless a value the line gave is outside its rule."""
        try:
            rule.check(values)
        except checks.Bad as e:
            self.parse_error(BAD_VALUE, "%s in %r" % (e, line[:80]))
            return
        then(values)

    def _lost_text(self, lost):
        self.log_lost_bytes = max(self.log_lost_bytes, lost)

    def overlong(self, limit):
        """A line longer than `limit` bytes (stream.Lines drops it to its newline)."""
        self.parse_error(
            "overlong", "a line of over %d bytes without a newline, dropped to its newline" % limit
        )

    def parse_error(self, kind, text):
        n = self.parse_errors.get(kind, 0) + 1
        self.parse_errors[kind] = n
        if n <= SAID_PER_KIND:
            more = " (further %s errors only counted)" % kind if n == SAID_PER_KIND else ""
            print("stubmon-exporter: %s: skipped: %s%s" % (self.host, text, more), file=self.log)

    def stream_event(self, what):
        self.stream_events[what] = self.stream_events.get(what, 0) + 1
        if what == "ended":
            self.ended = True

    # --- what the lines say --------------------------------------------------
    def _new_poll(self, number, uptime_ds):
        """Counts a poll unless it is the twin (table/JSON) of the latest."""
        # the table rounds the uptime to a tenth, JSON's ms are cut: a tenth apart
        if (
            number == self.poll_number
            and self.poll_uptime_ds is not None
            and abs(uptime_ds - self.poll_uptime_ds) <= 1
        ):
            return
        if self.poll_uptime_ds is not None and uptime_ds > self.poll_uptime_ds:
            self.interval_s = (uptime_ds - self.poll_uptime_ds) / 10.0
        self.polls += 1
        self.poll_number = number
        self.poll_uptime_ds = uptime_ds
        self.last_poll_time = self.clock()

    def _set_domains(self, doms, complete):
        if doms is None:  # the list was refused: nothing known
            self.domains = {}
        elif complete:
            self.domains = {d.domid: d for d in doms}
        else:  # view=changes or top:N: the rest stand
            for d in doms:
                self.domains[d.domid] = d

    def _table_poll(self, poll):
        try:
            checks.table_poll(poll)
        except checks.Bad as e:
            # the whole poll goes: what the previous one said stands
            self.parse_error(BAD_VALUE, "a table poll: %s" % e)
            return
        # the rows first: a poll that cannot be read is not counted as one
        doms = (
            None
            if poll.count is None
            else [domain_from_row(r, poll.vcpus.get(r[consolelog.ID])) for r in poll.rows]
        )
        self._new_poll(poll.number, poll.uptime_ds)
        self.xen = poll.xen
        if poll.host is not None:
            h = poll.host
            self.host_info = {
                "total_k": h["total_k"],
                "free_k": h["free_k"],
                "cpus": h["cpus"],
                "mhz": h["mhz"],
                "busy": h.get("busy"),
            }
        self.pcpus = [
            {"cpu": c["cpu"], "busy": c["busy"], "idle_s": c["idle_ds"] / 10.0} for c in poll.pcpus
        ] or None
        self.summary = poll.summary
        self._set_domains(doms, poll.view is None or poll.view.startswith(VIEW_ALL))

    def _json_object(self, obj):
        try:
            kind = checks.json_object(obj)
        except checks.Bad as e:
            # the whole object goes: what the previous ones said stands
            self.parse_error(BAD_VALUE, "a %s object: %s" % (_kind_said(obj), e))
            return
        try:
            if kind == "poll":
                self._json_poll(obj)
            elif kind == "event":
                self._event(obj["domain"], obj["event"])
            elif kind == "alert":
                self._alert(obj["domain"], obj["rule"], obj["status"] == "firing")
            elif kind == "error":
                self._error(obj["where"])
            elif kind == "log":
                self._log_json += 1
                self._lost_json += obj.get("lost") or 0
                self._log_count()
        except (KeyError, TypeError, ValueError, IndexError) as e:
            self.parse_error(
                "json",
                "a %s object without what %s promises (%s: %s)"
                % (kind, obj.get("schema"), type(e).__name__, e),
            )

    def _json_poll(self, obj):
        doms = obj["domains"]
        doms = None if doms is None else [domain_from_json(d) for d in doms]
        self._new_poll(obj["poll"], obj["uptime_ms"] // 100)
        self.xen = obj["xen"]
        h = obj.get("host")
        if h is not None:
            self.host_info = {
                "total_k": h["mem_total_k"],
                "free_k": h["mem_free_k"],
                "cpus": h["cpus"],
                "mhz": h["cpu_mhz"],
                "busy": h.get("busy_pct_x10"),
            }
            pc = h.get("pcpus")
            self.pcpus = (
                None
                if pc is None
                else [
                    {"cpu": c["cpu"], "busy": c["busy_pct_x10"], "idle_s": c["idle_ns"] / 1e9}
                    for c in pc
                ]
            )
        self.summary = obj.get("summary")
        view = obj.get("view")
        self._set_domains(doms, view is None or view.get("mode") == "all")

    def _event(self, domid, what):
        if what in self.events:
            self.events[what] += 1
        if what == "gone":
            self.domains.pop(domid, None)
            # a gone domain's cleared alerts go with it; firing ones (gone:N) stay
            for key in [k for k, firing in self.alerts.items() if k[0] == domid and not firing]:
                del self.alerts[key]

    def _log_count(self):
        # format=table+json says each line twice: count it once
        self.log_lines = max(self._log_text, self._log_json)
        self.log_lost_bytes = max(self.log_lost_bytes, self._lost_json)

    def _alert(self, domid, rule, firing):
        if not firing and domid is not None and domid not in self.domains:
            self.alerts.pop((domid, rule), None)  # cleared with its domain gone
            return
        key = (domid, rule)
        if key not in self.alerts and len(self.alerts) >= MAX_ALERTS:
            self.parse_error(
                BAD_VALUE,
                "an alert beyond the %d series kept: %s for %s"
                % (MAX_ALERTS, rule[:80], "the host" if domid is None else "domain %d" % domid),
            )
            return
        self.alerts[key] = firing

    def _error(self, where):
        key = (self.poll_number, where)
        if key in self._error_keys:
            return  # the same error in the other format
        self._error_keys.add(key)
        if len(self._error_keys) > 64:
            self._error_keys = {key}
        self.errors += 1

    # --- read by the metrics -------------------------------------------------
    def silent_after_s(self):
        if self.interval_s is None:
            return SILENT_UNKNOWN_S
        return max(SILENT_INTERVALS * self.interval_s, SILENT_MIN_S)

    def up(self):
        """The monitor is heard from: a poll within a few intervals."""
        if self.ended or self.last_poll_time is None:
            return False
        return self.clock() - self.last_poll_time <= self.silent_after_s()
