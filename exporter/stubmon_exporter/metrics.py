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


class Families:
    """The metric families of one scrape, filled a unit at a time (a group
    of a host's series, an alert, a domain's): a unit's samples are made into
    floats first and added only when all of them could be, so a value
    that cannot be rendered takes its unit out, not the scrape."""

    def __init__(self):
        self.families = {}
        self.pending = []

    def gauge(self, name, doc, labels, value, unit=""):
        self.pending.append((GaugeMetricFamily, name, doc, labels, _finite(value), unit))

    def counter(self, name, doc, labels, value, unit=""):
        self.pending.append((CounterMetricFamily, name, doc, labels, _finite(value), unit))

    def commit(self):
        for cls, name, doc, labels, value, unit in self.pending:
            if name not in self.families:
                self.families[name] = cls(name, doc, labels=[l for l, _ in labels], unit=unit)
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
        gauge, counter = f.gauge, f.counter
        host = [("host", m.host)]
        gauge(
            "stubmon_up",
            "1 while the monitor is heard from (a poll within a few intervals), else 0",
            host,
            1 if m.up() else 0,
        )
        counter("stubmon_polls", "Polls read from the monitor's stream", host, m.polls)
        counter("stubmon_errors", "Errors the monitor reported and survived", host, m.errors)
        if m.last_poll_time is not None:
            gauge(
                "stubmon_last_poll_timestamp_seconds",
                "When the latest poll was read (the exporter's clock)",
                host,
                m.last_poll_time,
            )
            gauge(
                "stubmon_last_poll_number",
                "The monitor's number of the latest poll "
                "(from 1; it starts again when the monitor does)",
                host,
                m.poll_number,
            )
        if m.interval_s is not None:
            gauge(
                "stubmon_interval_seconds",
                "Between the latest two polls, by Xen's uptime",
                host,
                m.interval_s,
            )
        for what, n in sorted(m.events.items()):
            counter(
                "stubmon_events", "Domain events the monitor reported", host + [("event", what)], n
            )

    @staticmethod
    def _alert(f, m, domid, rule, firing):
        # host-wide rules (hostmem<, pcpu>, log:) have no domain: domid=""
        f.gauge(
            "stubmon_alert_firing",
            "1 while the monitor's alert= rule holds for "
            "the domain (domid empty: the host), 0 once cleared",
            [("host", m.host), ("rule", rule), ("domid", "" if domid is None else domid)],
            1 if firing else 0,
        )

    @staticmethod
    def _exporter(f, m):
        counter = f.counter
        host = [("host", m.host)]
        if m.log_lines or m.log_lost_bytes:
            counter(
                "stubmon_xen_log_lines",
                "Lines of Xen's own log the monitor forwarded (xenlog=1)",
                host,
                m.log_lines,
            )
            counter(
                "stubmon_xen_log_lost_bytes",
                "Bytes of Xen's log its ring overwrote before the monitor read them",
                host,
                m.log_lost_bytes,
            )
        counter("stubmon_exporter_lines", "Console lines read", host, m.lines)
        for kind, n in sorted(m.parse_errors.items()):
            counter(
                "stubmon_exporter_parse_errors",
                "Lines skipped because they did not parse or held a value out of its rule (kind)",
                host + [("kind", kind)],
                n,
            )
        for what, n in sorted(m.stream_events.items()):
            counter(
                "stubmon_exporter_stream_events",
                "The stream rotated, truncated, reopened or ended",
                host + [("event", what)],
                n,
            )

    @staticmethod
    def _host(f, m):
        gauge, counter = f.gauge, f.counter
        host = [("host", m.host)]
        if m.xen is not None:
            gauge(
                "xen_info", "Xen's version as the monitor read it", host + [("version", m.xen)], 1
            )
        if m.host_info is not None:
            h = m.host_info
            gauge(
                "xen_host_memory_total_bytes", "Host memory (physinfo)", host, h["total_k"] << 10
            )
            gauge(
                "xen_host_memory_free_bytes",
                "Host memory free (physinfo)",
                host,
                h["free_k"] << 10,
            )
            gauge("xen_host_cpus", "Online physical CPUs", host, h["cpus"])
            gauge(
                "xen_host_cpu_frequency_hertz",
                "CPU frequency Xen reports (on Arm the generic timer's)",
                host,
                h["mhz"] * 1000000,
            )
            if h.get("busy") is not None:
                gauge(
                    "xen_host_cpu_busy_ratio",
                    "The pCPUs' mean busy time since the previous poll (getcpuinfo), 0 to 1",
                    host,
                    h["busy"] / 1000.0,
                )
        for c in m.pcpus or ():
            cl = host + [("cpu", str(c["cpu"]))]
            if c["busy"] is not None:
                gauge(
                    "xen_pcpu_busy_ratio",
                    "A pCPU's busy time since the previous poll (pcpus=1), 0 to 1",
                    cl,
                    c["busy"] / 1000.0,
                )
            counter(
                "xen_pcpu_idle_seconds", "A pCPU's idle time since boot (pcpus=1)", cl, c["idle_s"]
            )
        if m.summary is not None:
            gauge(
                "xen_host_domains",
                "Domains listed (every one, also those a view or domains= leaves out)",
                host,
                m.summary["domains"],
            )
            for s in STATES:
                gauge(
                    "xen_host_domains_by_state",
                    "Domains in each state, each counted once",
                    host + [("state", s)],
                    m.summary.get(s, 0),
                )

    @staticmethod
    def _domain(f, m, domid, d):
        gauge, counter = f.gauge, f.counter
        dl = [("host", m.host), ("domid", str(domid)), ("uuid", d.uuid)]
        counter("xen_domain_cpu_seconds", "CPU time of the domain's vCPUs", dl, d.cpu_seconds)
        gauge("xen_domain_memory_bytes", "Current memory (tot_pages)", dl, d.mem_bytes)
        if d.maxmem_bytes is not None:
            gauge(
                "xen_domain_memory_max_bytes",
                "Maximum memory (absent: unlimited)",
                dl,
                d.maxmem_bytes,
            )
        gauge("xen_domain_vcpus", "Online vCPUs", dl, d.vcpus)
        for s in STATES:
            gauge(
                "xen_domain_state",
                "1 for the domain's state, 0 for the others "
                "(xl's letters, the first of dying, crashed, shutdown, paused, "
                "blocked, running that holds)",
                dl + [("state", s)],
                1 if d.status == s else 0,
            )
        gauge(
            "xen_domain_info",
            "The domain's FLASK ssid, cpupool and xl state letters",
            dl + [("ssid", str(d.ssid)), ("cpupool", str(d.cpupool)), ("letters", d.letters)],
            1,
        )
        for v in d.vcpu_list or ():
            vl = dl + [("vcpu", str(v.vcpu))]
            counter("xen_vcpu_cpu_seconds", "A vCPU's CPU time (vcpus=1)", vl, v.cpu_seconds)
            gauge("xen_vcpu_pcpu", "The pCPU a vCPU is on (vcpus=1)", vl, v.pcpu)
            for s in VCPU_STATES:
                gauge(
                    "xen_vcpu_state",
                    "1 for a vCPU's state, 0 for the others (vcpus=1)",
                    vl + [("state", s)],
                    1 if v.state == s else 0,
                )
