# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (the exporter is host-side CPython with prometheus_client)
"""stubmon-exporter's mapping from console lines to metrics, on console
output recorded from real boots (tests/unit/consolelogs/, see its README):
every figure is checked against what consolelog parses from the same log."""

import os

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from stubmon_exporter import consolelog, state
from stubmon_exporter.metrics import Collector
from stubmon_exporter.state import STATES, Monitor, status_of

LOGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "consolelogs")


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def log_lines(name):
    with open(os.path.join(LOGS, name), "rb") as f:
        return f.read().split(b"\n")


def feed_log(name, clock=None, log=None):
    mon = Monitor("h1", clock=clock or Clock(), log=log or open(os.devnull, "w"))
    for raw in log_lines(name):
        mon.feed_bytes(raw)
    return mon


def samples(*monitors):
    reg = CollectorRegistry(auto_describe=False)
    reg.register(Collector(list(monitors)))
    out = {}
    for fam in text_string_to_metric_families(generate_latest(reg).decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(smp, name, **labels):
    return smp.get((name, tuple(sorted(labels.items()))))


def series(smp, name):
    return {dict(k[1]).get("domid"): v for k, v in smp.items() if k[0] == name}


def text_lines(name):
    return [l.decode("utf-8", "replace") for l in log_lines(name)]


def test_table_poll_maps_every_row():
    name = "x86_64-demo-changes.log"
    polls = [p for p in consolelog.polls(text_lines(name)) if p.complete]
    smp = samples(feed_log(name))
    last = polls[-1]
    assert value(smp, "stubmon_polls_total", host="h1") == len(polls)
    assert value(smp, "stubmon_last_poll_number", host="h1") == last.number
    assert value(smp, "xen_host_domains", host="h1") == last.summary["domains"]
    assert value(smp, "xen_host_memory_total_bytes", host="h1") == last.host["total_k"] * 1024
    assert value(smp, "xen_host_cpus", host="h1") == last.host["cpus"]
    mem = series(smp, "xen_domain_memory_bytes")
    assert mem == {str(r["ID"]): float(r["Mem(MiB)"] << 20) for r in last.rows}
    cpu = series(smp, "xen_domain_cpu_seconds_total")
    assert cpu == {str(r["ID"]): r["Time(s)"] / 10 for r in last.rows}


def test_view_changes_keeps_unchanged_rows_and_events_drop_the_gone():
    """view=changes prints only the rows that changed: the others keep
    their series until a 'gone' event removes them."""
    name = "x86_64-demo-changes.log"
    lines = text_lines(name)
    polls = [p for p in consolelog.polls(lines) if p.complete]
    changes = [p for p in polls if p.view and p.view.startswith("changes")]
    partial = [p for p in changes if len(p.rows) < p.summary["domains"]]
    assert partial, "the log has a view=changes poll that leaves rows out"
    gone_at = lines.index(next(l for l in lines if " gone (was " in l))
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for line in lines[:gone_at]:
        mon.feed(line)
    before = series(samples(mon), "xen_domain_memory_bytes")
    p = [q for q in polls if q.complete][0]
    assert set(before) == {str(r["ID"]) for r in p.rows}, "every domain ever shown stands"
    for line in lines[gone_at:]:
        mon.feed(line)
    gone = {str(e[1]) for e in consolelog.events(lines) if e[2].startswith("gone")}
    after = series(samples(mon), "xen_domain_memory_bytes")
    assert gone and not gone & set(after)
    assert set(after) == set(before) - gone


def test_table_and_json_twins_count_once_and_agree():
    name = "arm64-crash-table+json.log"
    lines = text_lines(name)
    polls = [p for p in consolelog.polls(lines) if p.complete]
    objs = consolelog.json_lines(lines)
    jpolls = [o for o in objs if o["type"] == "poll"]
    assert len(jpolls) == len(polls)
    smp = samples(feed_log(name))
    assert value(smp, "stubmon_polls_total", host="h1") == len(polls)
    last = jpolls[-1]
    # the JSON twin comes after the table: its KiB and ns are what stand
    mem = series(smp, "xen_domain_memory_bytes")
    assert mem == {str(d["id"]): float(d["mem_k"] * 1024) for d in last["domains"]}
    cpu = series(smp, "xen_domain_cpu_seconds_total")
    assert cpu == {str(d["id"]): d["cpu_ns"] / 1e9 for d in last["domains"]}
    for d in last["domains"]:
        for s in STATES:
            want = 1.0 if status_of(d["state"]) == s else 0.0
            assert (
                value(
                    smp, "xen_domain_state", host="h1", domid=str(d["id"]), state=s, uuid=d["uuid"]
                )
                == want
            )
    # the summary's counts are the states of every domain listed
    for s in STATES:
        assert value(smp, "xen_host_domains_by_state", host="h1", state=s) == last["summary"][s]


def test_alerts_fire_clear_and_leave_with_their_domain():
    name = "arm64-crash-table+json.log"
    lines = text_lines(name)
    alerts = consolelog.alerts(lines)
    assert ("crashed", "cleared") in [(a[2], a[3]) for a in alerts]
    smp = samples(feed_log(name))
    firing = {
        (dict(k[1])["domid"], dict(k[1])["rule"]): v
        for k, v in smp.items()
        if k[0] == "stubmon_alert_firing"
    }
    last = {}
    for _, domid, rule, status, _ in alerts:
        last[(str(domid), rule)] = status
    for key, status in last.items():
        if status == "firing":
            assert firing[key] == 1.0
        else:  # cleared: 0, or no series once its domain is gone
            assert firing.get(key, 0.0) == 0.0


def test_errors_counted_once_across_formats():
    """format=json prints the error as a JSON object and as the text line
    with its traceback: one error."""
    name = "x86_64-demo-json-fault.log"
    lines = text_lines(name)
    errs = [o for o in consolelog.json_lines(lines) if o["type"] == "error"]
    assert errs and any(l.startswith("stubmon: error in ") for l in lines)
    smp = samples(feed_log(name))
    assert value(smp, "stubmon_errors_total", host="h1") == errs[-1]["errors"]


def test_torn_json_line_is_put_back_together():
    """A foreign (dN) line inside a JSON line (arm64, several CPUs)."""
    name = "arm64-crash-table+json.log"
    lines = text_lines(name)
    obj = next(o for o in consolelog.json_lines(lines) if o["type"] == "poll")
    whole = next(l for l in lines if l.startswith('{"schema":') and '"type":"poll"' in l)
    cut = len(whole) // 2
    torn = [whole[:cut] + "(d3) [    1.000000] stubmon guest: hello", whole[cut:]]
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for l in torn:
        mon.feed(l)
    assert mon.parse_errors == {}
    assert mon.poll_number == obj["poll"]
    assert sorted(mon.domains) == [d["id"] for d in obj["domains"]]


def test_garbage_is_counted_and_skipped():
    errors = []

    class Log:
        def write(self, text):
            errors.append(text)

    name = "x86_64-demo-changes.log"
    good = log_lines(name)
    mon = Monitor("h1", clock=Clock(), log=Log())
    bad = [
        b"\xff\xfe\x00 serial noise",
        b'{"schema":"stubmon/1","type":"poll", truncated',
        b"stubmon poll 9: xen 4.20, uptime 1.0s, 1 domains",
        b"    0 r----- what is this",
        b"x" * (2 << 20),
    ]
    for raw in bad + good:
        mon.feed_bytes(raw)
    assert mon.parse_errors == {"encoding": 1, "json": 1, "table": 1, "overlong": 1}
    assert all(e.startswith("stubmon-exporter: h1: skipped: ") for e in errors if e.strip())
    ref = feed_log(name)
    assert sorted(mon.domains) == sorted(ref.domains) and mon.polls == ref.polls


def test_up_follows_the_interval():
    clock = Clock()
    mon = feed_log("x86_64-demo-changes.log", clock=clock)
    assert mon.interval_s == 1.0
    assert mon.up()
    clock.t += mon.silent_after_s() + 0.1
    assert not mon.up()
    assert value(samples(mon), "stubmon_up", host="h1") == 0.0
    mon.stream_event("ended")
    clock.t = 1000.0
    assert not mon.up(), "a stream that ended is down"


def test_unlisted_poll_drops_the_domains():
    """A refused listing (`? domains`) says nothing of the domains: none is
    kept from before."""
    mon = feed_log("x86_64-demo-changes.log")
    assert mon.domains
    mon.feed("stubmon poll 7: xen 4.20.5-pre, uptime 7.0s, ? domains")
    mon.feed("stubmon poll 7 end")
    assert mon.domains == {} and mon.poll_number == 7


def test_openmetrics_and_several_hosts():
    a = feed_log("x86_64-demo-changes.log")
    b = feed_log("arm64-crash-table+json.log")
    b.host = "h2"
    reg = CollectorRegistry(auto_describe=False)
    reg.register(Collector([a, b]))
    text = generate_openmetrics(reg).decode()
    assert text.endswith("# EOF\n")
    assert "# TYPE xen_domain_cpu_seconds counter" in text
    smp = samples(a, b)
    assert value(smp, "xen_host_domains", host="h1") == a.summary["domains"]
    assert value(smp, "xen_host_domains", host="h2") == b.summary["domains"]


def test_table_line_cut_by_a_foreign_line_is_mended():
    """A domU's line inside dom0's column header (seen on arm64 with two
    CPUs: '   ID State     Mem(MiB) MaxM(d2) [    0.355500] stubmon: console xen'):
    the rest of ours comes on the next line."""
    name = "x86_64-demo-changes.log"
    lines = text_lines(name)
    ref = [p for p in consolelog.polls(lines) if p.complete]
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("0 r-----"))
    row = lines[at]
    cut = (
        lines[:at]
        + [row[:20] + "(d2) [    0.355500] stubmon: console xen", row[20:]]
        + lines[at + 1 :]
    )
    got = [p for p in consolelog.polls(cut) if p.complete]
    assert [p.rows for p in got] == [p.rows for p in ref]
    assert "(d2) [    0.355500] stubmon: console xen" in consolelog.mended(cut)
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for l in cut:
        mon.feed(l)
    assert mon.parse_errors == {} and mon.polls == len(ref)


def test_stubmon_2_pcpus_vcpus_and_host_alerts():
    """Schema stubmon/2 (pcpus=1 vcpus=1, a host-wide alert), table and JSON."""
    name = "arm64-stubmon2-table+json.log"
    lines = text_lines(name)
    last = [o for o in consolelog.json_lines(lines) if o["type"] == "poll"][-1]
    table = [p for p in consolelog.polls(lines) if p.complete][-1]
    assert last["schema"] == "stubmon/2" and table.pcpus and table.vcpus
    smp = samples(feed_log(name))
    h = last["host"]
    assert value(smp, "xen_host_cpu_busy_ratio", host="h1") == h["busy_pct_x10"] / 1000.0
    busy = {dict(k[1])["cpu"]: v for k, v in smp.items() if k[0] == "xen_pcpu_busy_ratio"}
    assert busy == {
        str(c["cpu"]): c["busy_pct_x10"] / 1000.0
        for c in h["pcpus"]
        if c["busy_pct_x10"] is not None
    }
    assert len(busy) == h["cpus"]
    for d in last["domains"]:
        for v in d["vcpu_list"]:
            lab = dict(host="h1", domid=str(d["id"]), uuid=d["uuid"], vcpu=str(v["vcpu"]))
            assert value(smp, "xen_vcpu_cpu_seconds_total", **lab) == v["cpu_ns"] / 1e9
            assert value(smp, "xen_vcpu_pcpu", **lab) == v["pcpu"]
            running = value(smp, "xen_vcpu_state", state="running", **lab)
            assert running == (1.0 if v["online"] and v["running"] else 0.0)
    # the table's vcpu lines, read alone, agree in count with the JSON's
    assert {d: len(v) for d, v in table.vcpus.items()} == {
        d["id"]: len(d["vcpu_list"]) for d in last["domains"] if d["vcpu_list"]
    }
    host_alerts = [a for a in consolelog.alerts(lines) if a[1] is None]
    assert host_alerts
    rule = host_alerts[-1][2]
    assert value(smp, "stubmon_alert_firing", host="h1", rule=rule, domid="") == (
        1.0 if host_alerts[-1][3] == "firing" else 0.0
    )


def test_guest_line_after_a_piece_of_ours_is_found():
    """dom0's output goes to Xen's console in pieces, a domU's whole: a
    domU line can follow a piece of ours on the same console line (the
    rest of ours on the next). guest_lines, events and alerts still see
    each line (a dom0less boot test missed a domU's lines that way)."""
    lines = [
        "stubmon event 1.000s: domain 1 appe(d1) [    1.000100] stubmon guest: bye at 1.000s (poweroff)",
        "ared (running)",
        "stubmon ALERT 2.000s: domain 1 crashed fir(d2) hello",
        "ing (state ---sc-)",
    ]
    assert consolelog.guest_lines(lines, 1) == ["stubmon guest: bye at 1.000s (poweroff)"]
    assert consolelog.guest_lines(lines, 2) == ["hello"]
    assert consolelog.events(lines) == [(1000000, 1, "appeared (running)")]
    assert [a[1:4] for a in consolelog.alerts(lines)] == [(1, "crashed", "firing")]


def test_an_unforeseen_failure_is_counted_and_reading_goes_on(monkeypatch):
    """A failure the checks did not foresee (here forced: building a
    domain from a row raises) is said with its error, counted as
    `internal`, and the next polls are read."""
    errors = []

    class Log:
        def write(self, text):
            errors.append(text)

    real = state.domain_from_row
    calls = []

    def fails_once(row, vcpus=None):
        calls.append(row["ID"])
        if len(calls) == 1:
            raise RuntimeError("unforeseen")
        return real(row, vcpus)

    monkeypatch.setattr(state, "domain_from_row", fails_once)
    name = "x86_64-demo-changes.log"
    mon = Monitor("h1", clock=Clock(), log=Log())
    for l in text_lines(name):
        mon.feed(l)
    assert mon.parse_errors == {"internal": 1}
    assert any("RuntimeError: unforeseen" in e for e in errors), errors
    assert mon.polls == feed_log(name).polls - 1  # that poll only


def test_a_row_with_a_dash_for_mem_is_a_bad_value():
    """consolelog reads '-' as None, which is no byte count: the row's poll
    is rejected whole by the checks (no longer an unforeseen failure)."""
    name = "x86_64-demo-changes.log"
    lines = text_lines(name)
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("0 r-----"))
    f = lines[at].split()
    f[2] = "-"
    bad = lines[:at] + ["    " + " ".join(f)] + lines[at + 1 :]
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for l in bad:
        mon.feed(l)
    assert mon.parse_errors == {"bad_value": 1}
    assert mon.polls == feed_log(name).polls - 1  # that poll only
