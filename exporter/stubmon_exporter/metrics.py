# SPDX-License-Identifier: MIT
"""The metrics of one or more monitors (state.Monitor), built at each
scrape from their latest state: a domain that is gone has no series."""

import math
import sys
import threading

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .state import STATES

VCPU_STATES = ("running", "runnable", "blocked", "offline")

DOMAIN_LABELS = ["host", "domid", "uuid"]
MAX_SAID = 64  # render failures said on stderr (each once), then only left out


GAUGE, COUNTER = GaugeMetricFamily, CounterMetricFamily


def one(value):
    """The one sample of value(x), a number; None: none."""
    return lambda x: _alone(value(x))


def _alone(v):
    return () if v is None else (((), v),)


def each(label, pairs):
    """A sample per (label's value, number) of pairs(x)."""
    return lambda x: [(((label, k),), n) for k, n in pairs(x)]


def one_of(label, values, value):
    """A sample per one of values: 1 for value(x), 0 for the others."""
    return lambda x: _flags(label, values, value(x))


def _flags(label, values, v):
    return [(((label, s),), 1 if v == s else 0) for s in values]


def _ratio(permille):
    return None if permille is None else permille / 1000.0


def _xen_log(m, n):
    """A count of Xen's log the monitor forwards (xenlog=1), else None."""
    return n if m.log_lines or m.log_lost_bytes else None


# Every series, written once: (unit, family, name, help, samples), where
# samples(x) gives the (labels, number) pairs of x, a unit's object (see
# Collector: "monitor", "exporter" and "host" a state.Monitor, "alert"
# (domid, rule, firing), "host_info" its dict, "pcpu" a pCPU's, "summary"
# the domains line's, "domain" a state.Domain, "vcpu" a state.VCpu). In
# the order served.
# fmt: off
SERIES = (
    ("monitor", GAUGE, "stubmon_up",
     "1 while the monitor is heard from (a poll within a few intervals), else 0",
     one(lambda m: 1 if m.up() else 0)),
    ("monitor", COUNTER, "stubmon_polls", "Polls read from the monitor's stream",
     one(lambda m: m.polls)),
    ("monitor", COUNTER, "stubmon_errors", "Errors the monitor reported and survived",
     one(lambda m: m.errors)),
    ("monitor", GAUGE, "stubmon_last_poll_timestamp_seconds",
     "When the latest poll was read (the exporter's clock)", one(lambda m: m.last_poll_time)),
    ("monitor", GAUGE, "stubmon_last_poll_number",
     "The monitor's number of the latest poll (from 1; it starts again when the monitor does)",
     one(lambda m: m.poll_number)),
    ("monitor", GAUGE, "stubmon_interval_seconds",
     "Between the latest two polls, by Xen's uptime", one(lambda m: m.interval_s)),
    ("monitor", COUNTER, "stubmon_events", "Domain events the monitor reported",
     each("event", lambda m: sorted(m.events.items()))),
    # host-wide rules (hostmem<, pcpu>, log:) have no domain: domid=""
    ("alert", GAUGE, "stubmon_alert_firing",
     "1 while the monitor's alert= rule holds for the domain (domid empty: the host), "
     "0 once cleared",
     lambda a: [((("rule", a[1]), ("domid", "" if a[0] is None else a[0])), 1 if a[2] else 0)]),
    ("exporter", COUNTER, "stubmon_xen_log_lines",
     "Lines of Xen's own log the monitor forwarded (xenlog=1)",
     one(lambda m: _xen_log(m, m.log_lines))),
    ("exporter", COUNTER, "stubmon_xen_log_lost_bytes",
     "Bytes of Xen's log its ring overwrote before the monitor read them",
     one(lambda m: _xen_log(m, m.log_lost_bytes))),
    ("exporter", COUNTER, "stubmon_exporter_lines", "Console lines read",
     one(lambda m: m.lines)),
    ("exporter", COUNTER, "stubmon_exporter_parse_errors",
     "Lines skipped because they did not parse or held a value out of its rule (kind)",
     each("kind", lambda m: sorted(m.parse_errors.items()))),
    ("exporter", COUNTER, "stubmon_exporter_stream_events",
     "The stream rotated, truncated, reopened or ended",
     each("event", lambda m: sorted(m.stream_events.items()))),
    ("host", GAUGE, "xen_info", "Xen's version as the monitor read it",
     each("version", lambda m: () if m.xen is None else ((m.xen, 1),))),
    ("host_info", GAUGE, "xen_host_memory_total_bytes", "Host memory (physinfo)",
     one(lambda h: h["total_k"] << 10)),
    ("host_info", GAUGE, "xen_host_memory_free_bytes", "Host memory free (physinfo)",
     one(lambda h: h["free_k"] << 10)),
    ("host_info", GAUGE, "xen_host_cpus", "Online physical CPUs", one(lambda h: h["cpus"])),
    ("host_info", GAUGE, "xen_host_cpu_frequency_hertz",
     "CPU frequency Xen reports (on Arm the generic timer's)",
     one(lambda h: h["mhz"] * 1000000)),
    ("host_info", GAUGE, "xen_host_cpu_busy_ratio",
     "The pCPUs' mean busy time since the previous poll (getcpuinfo), 0 to 1",
     one(lambda h: _ratio(h.get("busy")))),
    ("pcpu", GAUGE, "xen_pcpu_busy_ratio",
     "A pCPU's busy time since the previous poll (pcpus=1), 0 to 1",
     one(lambda c: _ratio(c["busy"]))),
    ("pcpu", COUNTER, "xen_pcpu_idle_seconds", "A pCPU's idle time since boot (pcpus=1)",
     one(lambda c: c["idle_s"])),
    ("summary", GAUGE, "xen_host_domains",
     "Domains listed (every one, also those a view or domains= leaves out)",
     one(lambda s: s["domains"])),
    ("summary", GAUGE, "xen_host_domains_by_state", "Domains in each state, each counted once",
     each("state", lambda s: [(st, s.get(st, 0)) for st in STATES])),
    ("domain", COUNTER, "xen_domain_cpu_seconds", "CPU time of the domain's vCPUs",
     one(lambda d: d.cpu_seconds)),
    ("domain", GAUGE, "xen_domain_memory_bytes", "Current memory (tot_pages)",
     one(lambda d: d.mem_bytes)),
    ("domain", GAUGE, "xen_domain_memory_max_bytes", "Maximum memory (absent: unlimited)",
     one(lambda d: d.maxmem_bytes)),
    ("domain", GAUGE, "xen_domain_vcpus", "Online vCPUs", one(lambda d: d.vcpus)),
    ("domain", GAUGE, "xen_domain_state",
     "1 for the domain's state, 0 for the others (xl's letters, the first of dying, crashed, "
     "shutdown, paused, blocked, running that holds)",
     one_of("state", STATES, lambda d: d.status)),
    ("domain", GAUGE, "xen_domain_info", "The domain's FLASK ssid, cpupool and xl state letters",
     lambda d: [((("ssid", d.ssid), ("cpupool", d.cpupool), ("letters", d.letters)), 1)]),
    ("vcpu", COUNTER, "xen_vcpu_cpu_seconds", "A vCPU's CPU time (vcpus=1)",
     one(lambda v: v.cpu_seconds)),
    ("vcpu", GAUGE, "xen_vcpu_pcpu", "The pCPU a vCPU is on (vcpus=1)", one(lambda v: v.pcpu)),
    ("vcpu", GAUGE, "xen_vcpu_state", "1 for a vCPU's state, 0 for the others (vcpus=1)",
     one_of("state", VCPU_STATES, lambda v: v.state)),
)
# fmt: on


def _units(series):
    """unit: its series (family, name, help, samples), in SERIES' order."""
    out = {}
    for unit, *rest in series:
        out.setdefault(unit, []).append(tuple(rest))
    return out


UNITS = _units(SERIES)


class Families:
    """The metric families of one scrape, filled a unit at a time (a group
    of a host's series, an alert, a domain's): a unit's samples are made into
    floats first and added only when all of them could be, so a value
    that cannot be rendered takes its unit out, not the scrape."""

    def __init__(self):
        self.families = {}
        self.pending = []

    def add(self, unit, labels, x):
        """The series SERIES declares for `unit`, of x (a monitor, its
        host_info, a pCPU, a domain...), each under `labels` and its own."""
        for cls, name, doc, samples in UNITS[unit]:
            for more, value in samples(x):
                self.pending.append((cls, name, doc, labels + more, _finite(value)))

    def commit(self):
        for cls, name, doc, labels, value in self.pending:
            if name not in self.families:
                self.families[name] = cls(name, doc, labels=[l for l, _ in labels])
            self.families[name].add_metric([str(v) for _, v in labels], value)
        self.pending = []

    def discard(self):
        self.pending = []


def _finite(value):
    v = float(value)  # OverflowError for an int past a float, TypeError for a non-number
    if v != v or v in (math.inf, -math.inf):
        raise ValueError("%r is not a finite number" % (value,))
    return v


def _order(key):
    """A sort key that never compares an int with a str (sorted() over
    mixed keys raises): None first (a host-wide alert), ints in order,
    then anything else by its text."""
    if key is None:
        return (0, 0, "")
    if type(key) is int:
        return (1, key, "")
    return (2, 0, repr(key))


class Collector:
    """A prometheus_client collector over monitors; `lock` guards them
    against the threads that feed them. A value the checks let through
    but that cannot be rendered leaves out its unit (a domain, an alert,
    a group of its host's series; said once on stderr), never the rest."""

    def __init__(self, monitors, lock=None, log=None):
        self.monitors = monitors
        self.lock = lock or threading.Lock()
        self.log = log  # None: standard error as it is when said
        self._said = set()  # (host, what) a render failure was said for

    def collect(self):
        with self.lock:
            return list(self._families())

    def _families(self):
        f = Families()
        for m in self.monitors:
            self._unit(f, m, ("the monitor's series",), self._monitor, m)
            for (domid, rule), firing in sorted(
                m.alerts.items(), key=lambda a: (_order(a[0][0]), _order(a[0][1]))
            ):
                self._unit(f, m, ("alert", rule), self._alert, m, domid, rule, firing)
            self._unit(f, m, ("the exporter's series",), self._exporter, m)
            self._unit(f, m, ("the host's series",), self._host, m)
            for domid, d in sorted(m.domains.items(), key=lambda kv: _order(kv[0])):
                self._unit(f, m, ("domain", domid), self._domain, m, domid, d)
        return f.families.values()

    def _unit(self, f, m, what, build, *args):
        """build(f, *args), committed whole or not at all; `what` names the
        unit, ("domain", domid) say, in the one line a failure is said in."""
        try:
            build(f, *args)
        except (TypeError, ValueError, OverflowError, KeyError, AttributeError) as e:
            f.discard()
            key = (m.host,) + tuple(repr(w) for w in what)
            if key not in self._said and len(self._said) < MAX_SAID:
                self._said.add(key)
                print(
                    "stubmon-exporter: %s: %s left out of /metrics: %s: %s"
                    % (m.host, " ".join(str(w)[:80] for w in what), type(e).__name__, e),
                    file=self.log or sys.stderr,
                )
            return
        f.commit()

    @staticmethod
    def _monitor(f, m):
        f.add("monitor", (("host", m.host),), m)

    @staticmethod
    def _alert(f, m, domid, rule, firing):
        f.add("alert", (("host", m.host),), (domid, rule, firing))

    @staticmethod
    def _exporter(f, m):
        f.add("exporter", (("host", m.host),), m)

    @staticmethod
    def _host(f, m):
        host = (("host", m.host),)
        f.add("host", host, m)
        if m.host_info is not None:
            f.add("host_info", host, m.host_info)
        for c in m.pcpus or ():
            f.add("pcpu", host + (("cpu", c["cpu"]),), c)
        if m.summary is not None:
            f.add("summary", host, m.summary)

    @staticmethod
    def _domain(f, m, domid, d):
        dl = (("host", m.host), ("domid", domid), ("uuid", d.uuid))
        f.add("domain", dl, d)
        for v in d.vcpu_list or ():
            f.add("vcpu", dl + (("vcpu", v.vcpu),), v)
