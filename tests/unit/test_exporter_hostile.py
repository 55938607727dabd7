# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (the exporter is host-side CPython with prometheus_client)
"""stubmon-exporter on hostile values: whatever a console line says, a
value outside its rule (stubmon_exporter/checks.py) rejects its whole
object, counted as `bad_value`, and the rest keeps being served: the
other domains, the other hosts, what the previous poll said. Each case
starts from a recorded log (tests/unit/consolelogs/) and changes one
value; each failed before the checks (no metrics at all, or a wrong one)."""

import json
import os
import subprocess
import sys

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stubmon_exporter import consolelog
from stubmon_exporter.metrics import Collector
from stubmon_exporter.state import Domain, Monitor
from test_exporter_metrics import Clock, feed_log, samples, text_lines, value

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGS = os.path.join(TOP, "tests", "unit", "consolelogs")
ENV = dict(os.environ, PYTHONPATH=os.path.join(TOP, "exporter"))
JSON_LOG = "x86_64-demo-json-fault.log"  # format=json: polls 1, 3, 4, 5 (2 raised)
TABLE_LOG = "x86_64-demo-changes.log"  # tables, events, alerts


class Said:
    """A log that keeps what the exporter says on stderr."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        if text.strip():
            self.lines.append(text)


def host_series(smp, name, host):
    """{domid: value} of one host's series of a metric."""
    return {
        dict(k[1])["domid"]: v
        for k, v in smp.items()
        if k[0] == name and dict(k[1])["host"] == host
    }


def json_polls(lines):
    """(index, object) of each format=json poll line."""
    return [(i, json.loads(l)) for i, l in enumerate(lines) if '"type":"poll"' in l]


def upto_second_poll(change):
    """The JSON log up to its second poll (poll 3), that poll's object
    changed by change(obj)."""
    lines = text_lines(JSON_LOG)
    (_, first), (at, second) = json_polls(lines)[:2]
    change(second)
    return lines[:at] + [json.dumps(second, separators=(",", ":"))], first


def feed(lines, host="h1"):
    said = Said()
    mon = Monitor(host, clock=Clock(), log=said)
    for l in lines:
        mon.feed(l)
    return mon, said


def set_domain(index, key, v):
    def change(obj):
        obj["domains"][index][key] = v

    return change


def set_key(path, v):
    def change(obj):
        o = obj
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = v

    return change


HOSTILE_POLLS = [
    ("uuid an int", set_domain(1, "uuid", 5)),
    ("uuid not of the UUID form", set_domain(1, "uuid", "x" * 36)),
    ("uuid a long string", set_domain(1, "uuid", "0" * 100000)),
    ("domid a string", set_domain(1, "id", "1")),
    ("domid negative", set_domain(1, "id", -1)),
    ("domid past Xen's", set_domain(1, "id", 0x7FF0)),
    ("domid a float", set_domain(1, "id", 1.0)),
    ("memory 1e400", set_domain(1, "mem_k", float("inf"))),
    ("memory a huge int", set_domain(1, "mem_k", 10**400)),
    ("memory negative", set_domain(1, "mem_k", -4)),
    ("cpu time a nested object", set_domain(1, "cpu_ns", {"ns": 1})),
    ("cpu time a list", set_domain(1, "cpu_ns", [1])),
    ("vcpus true", set_domain(1, "vcpus", True)),
    ("state letters wrong", set_domain(1, "state", "zzzzzz")),
    ("state letters short", set_domain(1, "state", "r")),
    ("maxmem a string", set_domain(1, "maxmem_k", "16384")),
    ("ssid null", set_domain(1, "ssid", None)),
    ("a domain not an object", set_key(["domains", 1], 7)),
    ("domains an object", set_key(["domains"], {"0": {}})),
    ("host memory a huge int", set_key(["host", "mem_total_k"], 10**30)),
    ("host cpus a string", set_key(["host", "cpus"], "1")),
    ("summary count a float", set_key(["summary", "domains"], 3.5)),
    ("poll number 0", set_key(["poll"], 0)),
    ("poll number a string", set_key(["poll"], "3")),
    ("uptime negative", set_key(["uptime_ms"], -1)),
    ("xen version with a space", set_key(["xen"], "4.20 evil")),
    ("xen version long", set_key(["xen"], "4" * 1000)),
    ("view mode unknown", set_key(["view"], {"mode": "some"})),
]


@pytest.mark.parametrize("what,change", HOSTILE_POLLS, ids=[h[0] for h in HOSTILE_POLLS])
def test_a_bad_value_rejects_its_poll_and_the_previous_stands(what, change):
    lines, first = upto_second_poll(change)
    mon, said = feed(lines)
    assert mon.parse_errors == {"bad_value": 1}, (what, said.lines)
    assert len(said.lines) == 1 and "skipped: a poll object: " in said.lines[0], said.lines
    # the first poll stands, whole: its domains, its values
    assert mon.poll_number == first["poll"] and mon.polls == 1
    other = feed_log(TABLE_LOG)
    other.host = "h2"
    smp = samples(mon, other)
    assert host_series(smp, "xen_domain_memory_bytes", "h1") == {
        str(d["id"]): float(d["mem_k"] << 10) for d in first["domains"]
    }
    assert host_series(smp, "xen_domain_memory_bytes", "h2") == host_series(
        samples(feed_log(TABLE_LOG)), "xen_domain_memory_bytes", "h1"
    )
    assert value(smp, "stubmon_exporter_parse_errors_total", host="h1", kind="bad_value") == 1.0
    assert value(smp, "stubmon_polls_total", host="h1") == 1.0


STUBMON2_LOG = "arm64-stubmon2-table+json.log"  # pcpus=1 vcpus=1, table+json


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o["domains"][0]["vcpu_list"][0].update(online="yes"),
        lambda o: o["domains"][0]["vcpu_list"][0].update(pcpu=-1),
        lambda o: o["domains"][0].update(vcpu_list={"0": {}}),
        lambda o: o["host"]["pcpus"][0].update(busy_pct_x10=1001),
        lambda o: o["host"].update(busy_pct_x10=1e400),
    ],
    ids=[
        "vcpu online a string",
        "vcpu pcpu negative",
        "vcpu_list an object",
        "pcpu busy over 100%",
        "host busy 1e400",
    ],
)
def test_a_bad_stubmon2_value_rejects_the_json_twin(change):
    """table+json: the JSON twin of the last poll changed; it is rejected
    and the table, read just before it, stands."""
    lines = text_lines(STUBMON2_LOG)
    at, obj = json_polls(lines)[-1]
    change(obj)
    mon, said = feed(lines[:at] + [json.dumps(obj, separators=(",", ":"))] + lines[at + 1 :])
    ref = feed_log(STUBMON2_LOG)
    assert mon.parse_errors == {"bad_value": 1}, said.lines
    assert mon.polls == ref.polls and sorted(mon.domains) == sorted(ref.domains)
    assert samples(mon)


def test_the_unchanged_log_has_no_bad_value():
    """The cases above change one value: unchanged, both polls are read."""
    lines, first = upto_second_poll(lambda obj: None)
    mon, said = feed(lines)
    assert mon.parse_errors == {} and mon.polls == 2 and said.lines == []


HOSTILE_OBJECTS = [
    (
        '{"schema":"stubmon/1","type":"event","uptime_ms":1,"domain":"0","event":"gone",'
        '"from":"running","to":null}'
    ),
    (
        '{"schema":"stubmon/1","type":"event","uptime_ms":1,"domain":40000,"event":"gone",'
        '"from":"running","to":null}'
    ),
    '{"schema":"stubmon/1","type":"event","uptime_ms":1,"domain":0,"event":["gone"]}',
    (
        '{"schema":"stubmon/2","type":"alert","uptime_ms":1,"domain":0,"rule":"crashed",'
        '"status":"firing","detail":{"x":1}}'
    ),
    (
        '{"schema":"stubmon/2","type":"alert","uptime_ms":1,"domain":0,"rule":"log:%s",'
        '"status":"firing","detail":""}' % ("x" * 300)
    ),
    (
        '{"schema":"stubmon/2","type":"alert","uptime_ms":1,"domain":0,"rule":"evil rule",'
        '"status":"firing","detail":""}'
    ),
    '{"schema":"stubmon/1","type":"error","uptime_ms":1,"where":7,"error":"x","errors":1}',
    '{"schema":"stubmon/2","type":"log","uptime_ms":1,"line":"x","lost":1e400}',
    '{"schema":"stubmon/2","type":"log","uptime_ms":1,"line":"x","lost":%d}' % 10**300,
    '{"schema":"stubmon/1","type":["poll"],"uptime_ms":1}',
    '{"schema":5,"type":"error","uptime_ms":1,"where":"x","error":"x","errors":1}',
]


@pytest.mark.parametrize("line", HOSTILE_OBJECTS)
def test_bad_event_alert_error_and_log_objects_change_nothing(line):
    mon = feed_log(TABLE_LOG)
    before = samples(mon)
    mon.feed(line)
    assert mon.parse_errors == {"bad_value": 1}
    after = samples(mon)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {
        ("stubmon_exporter_lines_total", (("host", "h1"),)),
        ("stubmon_exporter_parse_errors_total", (("host", "h1"), ("kind", "bad_value"))),
    }


def table_with(change):
    """The table log with its first dom0 row's fields changed."""
    lines = text_lines(TABLE_LOG)
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("0 r-----"))
    fields = lines[at].split()
    change(fields)
    return lines[:at] + ["    " + " ".join(fields)] + lines[at + 1 :]


def field(n, text):
    def change(fields):
        fields[n] = text

    return change


HOSTILE_ROWS = [
    ("UUID not of the UUID form", field(10, "not-a-uuid")),
    ("UUID upper case", field(10, "ABCDEF00-0000-0000-0000-000000000000")),
    ("memory of 400 digits", field(2, "9" * 400)),
    ("memory of 5000 digits", field(2, "9" * 5000)),
    ("domid past Xen's", field(0, "70000")),
    ("vcpus past 32 bits", field(4, str(1 << 32))),
    ("memory a dash", field(2, "-")),
]


@pytest.mark.parametrize("what,change", HOSTILE_ROWS, ids=[h[0] for h in HOSTILE_ROWS])
def test_a_bad_table_value_rejects_its_poll(what, change):
    lines = table_with(change)
    mon, said = feed(lines)
    ref = feed_log(TABLE_LOG)
    # 5000 digits: int() refuses them, the table reader says so (kind table)
    assert mon.parse_errors in ({"bad_value": 1}, {"table": 1}), (what, said.lines)
    assert mon.polls == ref.polls - 1  # that poll only
    assert samples(mon)  # and it renders
    assert sorted(mon.domains) == sorted(ref.domains)


HOSTILE_TEXT_LINES = [
    "stubmon event 1.000s: domain 99999 gone (was running)",
    "stubmon event 1.000s: domain %s gone (was running)" % ("9" * 5000),
    "stubmon ALERT 1.000s: domain 0 cpu>1x firing (cpu 99%)",
    "stubmon ALERT 1.000s: domain 0 log:%s firing (x)" % ("y" * 300),
    "stubmon ALERT 1.000s: domain 40000 crashed firing (x)",
    "stubmon: xenlog: 1 bytes of Xen's log lost (%d since start)" % (1 << 64),
    "stubmon: error in poll %s: RuntimeError: x" % ("9" * 5000),
]


@pytest.mark.parametrize("line", HOSTILE_TEXT_LINES)
def test_bad_event_alert_and_lost_lines_change_nothing(line):
    mon = feed_log(TABLE_LOG)
    before = dict(samples(mon))
    domains = sorted(mon.domains)
    mon.feed(line)
    assert mon.parse_errors == {"bad_value": 1}, line[:80]
    assert sorted(mon.domains) == domains
    after = samples(mon)
    for k in (
        "stubmon_alert_firing",
        "stubmon_xen_log_lost_bytes_total",
        "stubmon_events_total",
        "stubmon_errors_total",
    ):
        assert {s: v for s, v in after.items() if s[0] == k} == {
            s: v for s, v in before.items() if s[0] == k
        }


def test_alerts_kept_are_bounded():
    from stubmon_exporter import state

    mon = feed_log(TABLE_LOG)
    for n in range(state.MAX_ALERTS + 10):
        mon.feed("stubmon ALERT 1.000s: host log:x%d firing (x)" % n)
    assert len(mon.alerts) == state.MAX_ALERTS
    assert mon.parse_errors == {"bad_value": 10 + len(feed_log(TABLE_LOG).alerts)}


def registry(*monitors, log=None):
    reg = CollectorRegistry(auto_describe=False)
    reg.register(Collector(list(monitors), log=log or Said()))
    return reg


def test_rendering_survives_values_no_check_let_through():
    """The metrics' own defence, should a value ever get past the checks
    (the state set directly here): mixed domain ids sort, a domain whose
    value cannot be a float is left out (said once), the rest is served."""
    mon = feed_log(TABLE_LOG)
    good = sorted(mon.domains)
    bad = Domain(5, "r-----", 0.0, 10**400, None, 1, 0, 0, "u")
    mon.domains["x"] = Domain("x", "r-----", 0.0, 1, None, 1, 0, 0, "u")
    mon.domains[5] = bad
    mon.alerts[("y", "crashed")] = True
    other = feed_log(JSON_LOG)
    other.host = "h2"
    said = Said()
    reg = registry(mon, other, log=said)
    text = generate_latest(reg).decode()
    generate_latest(reg)  # a second scrape says nothing new
    assert 'xen_domain_memory_bytes{domid="x",host="h1",uuid="u"} 1.0' in text
    assert 'domid="5"' not in text
    for d in good:
        assert 'xen_domain_vcpus{domid="%d",host="h1",' % d in text
    assert 'stubmon_up{host="h2"}' in text and 'xen_domain_vcpus{domid="0",host="h2"' in text
    assert (
        len(said.lines) == 1 and "domain 5 left out of /metrics: OverflowError" in said.lines[0]
    ), said.lines


def exporter(*args):
    return subprocess.run(
        [sys.executable, "-m", "stubmon_exporter.cli"] + list(args),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_once_print_serves_every_host_when_one_says_uuid_5(tmp_path):
    """The review's case: a console whose second poll carries "uuid":5
    for one domain printed no metrics at all."""
    lines, first = upto_second_poll(set_domain(1, "uuid", 5))
    path = tmp_path / "lab1.log"
    path.write_text("\n".join(lines) + "\n")
    r = exporter("--once", "--print", str(path), os.path.join(LOGS, TABLE_LOG))
    assert r.returncode == 0, r.stderr
    smp = {}
    for fam in text_string_to_metric_families(r.stdout):
        for x in fam.samples:
            smp[(x.name, tuple(sorted(x.labels.items())))] = x.value
    assert value(smp, "stubmon_exporter_parse_errors_total", host="lab1", kind="bad_value") == 1
    assert value(smp, "stubmon_last_poll_number", host="lab1") == first["poll"]
    assert host_series(smp, "xen_domain_memory_bytes", "lab1") == {
        str(d["id"]): float(d["mem_k"] << 10) for d in first["domains"]
    }
    assert host_series(smp, "xen_domain_memory_bytes", "x86_64-demo-changes") == host_series(
        samples(feed_log(TABLE_LOG)), "xen_domain_memory_bytes", "h1"
    )
    assert "lab1: skipped: a poll object: domains[1].uuid is 5, not a UUID" in r.stderr


def test_the_checks_accept_every_recorded_log():
    """Every object and table of the real boots passes the checks: they
    hold the monitor's output to its schema, nothing stricter."""
    for name in sorted(os.listdir(LOGS)):
        if name.endswith(".log"):
            mon = feed_log(name)
            assert mon.parse_errors == {}, name
            tables = [p for p in consolelog.polls(text_lines(name)) if p.complete]
            objs = [o for o in consolelog.json_lines(text_lines(name)) if o["type"] == "poll"]
            assert mon.polls == max(len(tables), len(objs)) > 0, name
