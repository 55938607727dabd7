# SPDX-License-Identifier: MIT
"""End to end: a real Xen boot under QEMU streams its console into
stubmon-exporter (following the log file as it grows), a real Prometheus
server (Debian's, fetched by tools/deps.sh) scrapes the exporter every
second, and what Prometheus stored is checked against the tables the
monitor printed: the domain count, every domain's memory, the paused demo
domain's state, and the destroyed domain's series ending with it."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

import boot
from stubmon_exporter import consolelog

PROMETHEUS = os.path.join(boot.DEPS, "pkg", "prometheus", "usr", "bin", "prometheus")
RULES = os.path.join(boot.REPO, "exporter", "prometheus", "stubmon-rules.yml")
HOST = "xenlab"
INTERVAL = 2
DESTROYED, DESTROY_AFTER = 2, 4
# two paused demo domains (d1, d2) kept; d2 destroyed after poll 4
ARGS = "interval=%d count=8 demo=2 demo_keep=0 destroy=%d:%d exit=qemu" % (
    INTERVAL,
    DESTROYED,
    DESTROY_AFTER,
)
STEP = 0.25
# this tree's exporter, whichever tree the venv's editable install points at
ENV = dict(os.environ, PYTHONPATH=os.path.join(boot.REPO, "exporter"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=30):
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


class Prom:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d/api/v1/" % port

    def get(self, what, **params):
        url = self.base + what + "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def instant(self, query):
        return self.get("query", query=query)["result"]

    def range(self, query, start, end):
        """{labels-frozenset: {time: value}} evaluated every STEP s."""
        out = {}
        for s in self.get("query_range", query=query, start=start, end=end, step=STEP)["result"]:
            out[frozenset(s["metric"].items())] = {round(t, 2): float(v) for t, v in s["values"]}
        return out


def by_time(series, label):
    """{time: {label value: value}}"""
    out = {}
    for labels, values in series.items():
        key = dict(labels).get(label)
        for t, v in values.items():
            out.setdefault(t, {})[key] = v
    return out


@pytest.fixture(scope="module")
def run(image, tmp_path_factory):
    assert os.access(PROMETHEUS, os.X_OK), "no Prometheus in .deps (make deps fetches it)"
    image("x86_64")
    tmp = tmp_path_factory.mktemp("prometheus")
    log = tmp / "console.log"
    log.write_text("")
    export_port, prom_port = free_port(), free_port()
    (tmp / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        "rule_files: ['%s']\n"
        "scrape_configs:\n  - job_name: stubmon\n    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n" % (RULES, export_port)
    )
    exporter = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stubmon_exporter.cli",
            "--listen",
            "127.0.0.1:%d" % export_port,
            "--host",
            HOST,
            str(log),
        ],
        stderr=open(tmp / "exporter.err", "w"),
        env=ENV,
    )
    prom = subprocess.Popen(
        [
            PROMETHEUS,
            "--config.file=%s" % (tmp / "prometheus.yml"),
            "--storage.tsdb.path=%s" % (tmp / "data"),
            "--web.listen-address=127.0.0.1:%d" % prom_port,
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "prometheus.err", "w"),
    )
    try:
        wait_http("http://127.0.0.1:%d/metrics" % export_port)
        wait_http("http://127.0.0.1:%d/-/ready" % prom_port, timeout=60)
        p = Prom(prom_port)
        # the target is up before the boot starts: every poll is scraped
        end = time.monotonic() + 30
        while not p.instant('up{job="stubmon"} == 1'):
            assert time.monotonic() < end, "Prometheus never scraped the exporter"
            time.sleep(0.2)
        start = time.time()
        res = boot.boot("x86_64", "4.20", ARGS, timeout=150, log=str(log))
        assert not res.timed_out
        time.sleep(2.5)  # the last poll scraped
        stop = time.time()
        yield p, res, start, stop
    finally:
        for proc in (prom, exporter):
            proc.terminate()
            proc.wait(10)


def test_domain_count_memory_and_state_match_every_table(run):
    p, res, start, stop = run
    polls = {q.number: q for q in consolelog.polls(res.lines) if q.complete}
    assert sorted(polls) == list(range(1, 9))
    sel = '{host="%s"}' % HOST
    poll_at = {
        t: v[None]
        for t, v in by_time(p.range("stubmon_last_poll_number" + sel, start, stop), None).items()
    }
    count_at = {
        t: v[None]
        for t, v in by_time(p.range("xen_host_domains" + sel, start, stop), None).items()
    }
    mem_at = by_time(p.range("xen_domain_memory_bytes" + sel, start, stop), "domid")
    paused_at = by_time(
        p.range('xen_domain_state{host="%s",state="paused"}' % HOST, start, stop), "domid"
    )
    seen = set()
    for t, n in sorted(poll_at.items()):
        q = polls[int(n)]
        seen.add(q.number)
        assert count_at[t] == q.count
        table = {str(r["ID"]): float(r["Mem(MiB)"] << 20) for r in q.rows}
        # between a poll and the next, a 'gone' event may already have
        # removed a domain: the next poll's set of domains
        nxt = polls.get(q.number + 1)
        sets = [set(table)] + ([{str(r["ID"]) for r in nxt.rows}] if nxt else [])
        got = mem_at.get(t, {})
        assert set(got) in sets, (t, q.number, got)
        assert {d: table[d] for d in got} == got
        for r in q.rows:
            if str(r["ID"]) in got:
                assert paused_at[t][str(r["ID"])] == (1.0 if r["State"][2] == "p" else 0.0)
    assert seen == set(polls), (
        "Prometheus scraped every poll (interval %d s, scrape 1 s)" % INTERVAL
    )
    assert polls[1].row(1)["State"] == "--p---" and polls[8].row(1)["State"] == "--p---"


def test_destroyed_domain_series_disappear(run):
    p, res, start, stop = run
    polls = {q.number: q for q in consolelog.polls(res.lines) if q.complete}
    assert polls[DESTROY_AFTER].row(DESTROYED) is not None
    assert polls[DESTROY_AFTER + 1].row(DESTROYED) is None
    # every series the exporter serves (not the ALERTS the rules make of it)
    now = p.instant('{__name__=~"xen_.+|stubmon_.+",host="%s",domid="%d"}' % (HOST, DESTROYED))
    assert now == [], "the destroyed domain still has series: %s" % now
    kept = p.instant('xen_domain_memory_bytes{host="%s",domid="1"}' % HOST)
    assert len(kept) == 1
    # it had them while it was there
    had = p.range('xen_domain_vcpus{host="%s",domid="%d"}' % (HOST, DESTROYED), start, stop)
    assert had


def test_silent_monitor_goes_down(run):
    """QEMU has exited: after a few intervals without a poll, stubmon_up is 0."""
    p, res, start, stop = run
    q = 'stubmon_up{host="%s"}' % HOST
    up = by_time(p.range(q, start, stop), None)
    assert 1.0 in {v[None] for v in up.values()}
    end = time.monotonic() + 30
    while float(p.instant(q)[0]["value"][1]) != 0.0:
        assert time.monotonic() < end, "stubmon_up stayed 1 with the monitor gone"
        time.sleep(0.5)


def test_shipped_alert_rules_load_and_catch_the_destroyed_domain(run):
    """exporter/prometheus/stubmon-rules.yml, loaded by the real server:
    every rule evaluates without error, and XenDomainGone (alert=gone:N's
    twin) holds for the destroyed domain only."""
    p, res, start, stop = run
    groups = p.get("rules")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert {r["name"] for r in rules} >= {
        "StubmonDown",
        "StubmonAlertFiring",
        "XenDomainCrashed",
        "XenDomainCPUHigh",
        "XenDomainMemoryHigh",
        "XenDomainGone",
    }
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
    gone = [a for a in p.get("alerts")["alerts"] if a["labels"]["alertname"] == "XenDomainGone"]
    assert [(a["labels"]["host"], a["labels"]["domid"]) for a in gone] == [(HOST, str(DESTROYED))]
    assert gone[0]["state"] in ("pending", "firing")
