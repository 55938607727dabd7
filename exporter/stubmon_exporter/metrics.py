# SPDX-License-Identifier: MIT
"""The metrics of one or more monitors (state.Monitor), built at each
scrape from their latest state: a domain that is gone has no series."""
import threading

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .state import STATES

VCPU_STATES = ("running", "runnable", "blocked", "offline")

DOMAIN_LABELS = ["host", "domid", "uuid"]


class Collector:
    """A prometheus_client collector over monitors; `lock` guards them
    against the threads that feed them."""

    def __init__(self, monitors, lock=None):
        self.monitors = monitors
        self.lock = lock or threading.Lock()

    def collect(self):
        with self.lock:
            return list(self._families())

    def _families(self):
        f = {}

        def fam(cls, name, doc, labels, unit=""):
            if name not in f:
                f[name] = cls(name, doc, labels=labels, unit=unit)
            return f[name]

        def gauge(name, doc, labels, value, unit=""):
            fam(GaugeMetricFamily, name, doc, [l for l, _ in labels], unit).add_metric(
                [v for _, v in labels], value)

        def counter(name, doc, labels, value, unit=""):
            fam(CounterMetricFamily, name, doc, [l for l, _ in labels], unit).add_metric(
                [v for _, v in labels], value)

        for m in self.monitors:
            host = [("host", m.host)]
            gauge("stubmon_up", "1 while the monitor is heard from (a poll within a few "
                  "intervals), else 0", host, 1 if m.up() else 0)
            counter("stubmon_polls", "Polls read from the monitor's stream", host, m.polls)
            counter("stubmon_errors", "Errors the monitor reported and survived", host, m.errors)
            if m.last_poll_time is not None:
                gauge("stubmon_last_poll_timestamp_seconds", "When the latest poll was read "
                      "(the exporter's clock)", host, m.last_poll_time)
                gauge("stubmon_last_poll_number", "The monitor's number of the latest poll "
                      "(from 1; it starts again when the monitor does)", host, m.poll_number)
            if m.interval_s is not None:
                gauge("stubmon_interval_seconds", "Between the latest two polls, by Xen's uptime",
                      host, m.interval_s)
            for what, n in sorted(m.events.items()):
                counter("stubmon_events", "Domain events the monitor reported",
                        host + [("event", what)], n)
            # host-wide rules (hostmem<, pcpu>, log:) have no domain: domid=""
            for (domid, rule), firing in sorted(m.alerts.items(),
                                                key=lambda a: (a[0][0] is not None, a[0][0] or 0, a[0][1])):
                gauge("stubmon_alert_firing", "1 while the monitor's alert= rule holds for "
                      "the domain (domid empty: the host), 0 once cleared",
                      host + [("rule", rule), ("domid", "" if domid is None else str(domid))],
                      1 if firing else 0)
            if m.log_lines or m.log_lost_bytes:
                counter("stubmon_xen_log_lines", "Lines of Xen's own log the monitor forwarded "
                        "(xenlog=1)", host, m.log_lines)
                counter("stubmon_xen_log_lost_bytes", "Bytes of Xen's log its ring overwrote "
                        "before the monitor read them", host, m.log_lost_bytes)
            counter("stubmon_exporter_lines", "Console lines read", host, m.lines)
            for kind, n in sorted(m.parse_errors.items()):
                counter("stubmon_exporter_parse_errors", "Lines skipped because they did not "
                        "parse", host + [("kind", kind)], n)
            for what, n in sorted(m.stream_events.items()):
                counter("stubmon_exporter_stream_events", "The stream rotated, truncated, "
                        "reopened or ended", host + [("event", what)], n)
            if m.xen is not None:
                gauge("xen_info", "Xen's version as the monitor read it", host + [("version", m.xen)], 1)
            if m.host_info is not None:
                h = m.host_info
                gauge("xen_host_memory_total_bytes", "Host memory (physinfo)", host, h["total_k"] << 10)
                gauge("xen_host_memory_free_bytes", "Host memory free (physinfo)", host, h["free_k"] << 10)
                gauge("xen_host_cpus", "Online physical CPUs", host, h["cpus"])
                gauge("xen_host_cpu_frequency_hertz", "CPU frequency Xen reports (on Arm the "
                      "generic timer's)", host, h["mhz"] * 1000000)
                if h.get("busy") is not None:
                    gauge("xen_host_cpu_busy_ratio", "The pCPUs' mean busy time since the "
                          "previous poll (getcpuinfo), 0 to 1", host, h["busy"] / 1000.0)
            for c in m.pcpus or ():
                cl = host + [("cpu", str(c["cpu"]))]
                if c["busy"] is not None:
                    gauge("xen_pcpu_busy_ratio", "A pCPU's busy time since the previous poll "
                          "(pcpus=1), 0 to 1", cl, c["busy"] / 1000.0)
                counter("xen_pcpu_idle_seconds", "A pCPU's idle time since boot (pcpus=1)", cl,
                        c["idle_s"])
            if m.summary is not None:
                gauge("xen_host_domains", "Domains listed (every one, also those a view or "
                      "domains= leaves out)", host, m.summary["domains"])
                for s in STATES:
                    gauge("xen_host_domains_by_state", "Domains in each state, each counted once",
                          host + [("state", s)], m.summary.get(s, 0))
            for domid in sorted(m.domains):
                d = m.domains[domid]
                dl = [("host", m.host), ("domid", str(domid)), ("uuid", d.uuid)]
                counter("xen_domain_cpu_seconds", "CPU time of the domain's vCPUs", dl,
                        d.cpu_seconds)
                gauge("xen_domain_memory_bytes", "Current memory (tot_pages)", dl, d.mem_bytes)
                if d.maxmem_bytes is not None:
                    gauge("xen_domain_memory_max_bytes", "Maximum memory (absent: unlimited)",
                          dl, d.maxmem_bytes)
                gauge("xen_domain_vcpus", "Online vCPUs", dl, d.vcpus)
                for s in STATES:
                    gauge("xen_domain_state", "1 for the domain's state, 0 for the others "
                          "(xl's letters, the first of dying, crashed, shutdown, paused, "
                          "blocked, running that holds)", dl + [("state", s)],
                          1 if d.status == s else 0)
                gauge("xen_domain_info", "The domain's FLASK ssid, cpupool and xl state letters",
                      dl + [("ssid", str(d.ssid)), ("cpupool", str(d.cpupool)),
                            ("letters", d.letters)], 1)
                for v in d.vcpu_list or ():
                    vl = dl + [("vcpu", str(v.vcpu))]
                    counter("xen_vcpu_cpu_seconds", "A vCPU's CPU time (vcpus=1)", vl, v.cpu_seconds)
                    gauge("xen_vcpu_pcpu", "The pCPU a vCPU is on (vcpus=1)", vl, v.pcpu)
                    for s in VCPU_STATES:
                        gauge("xen_vcpu_state", "1 for a vCPU's state, 0 for the others (vcpus=1)",
                              vl + [("state", s)], 1 if v.state == s else 0)
        return f.values()
