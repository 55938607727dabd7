# SPDX-License-Identifier: MIT
"""Issue 14 on real Xen: what the hypervisor knows beyond xentop's header.
One arm64 boot (Xen 4.20, QEMU -smp 2) shared by every check: dom0 runs the
monitor with pcpus=1 vcpus=1 format=table+json, next to dom0less domUs that run the same Image as
role=guest: one spins for a while then blocks (pCPU busy rises, then falls),
one has two vCPUs, one blocks for ever with no timer (stuck:), one is
paused by the monitor (never stuck), one arms Xen's watchdog and never
kicks it (Xen logs it: forwarded by xenlog=1, alert=log:). Every JSON
line is validated against stubmon/2. Then one short x86_64 PV dom0 boot
(Xen 4.20, -smp 1) with two paused demo domains: the same features on
the other arch, host-wide alerts, no stuck: for paused domains."""

import json
import os
import re

import jsonschema

import pytest

import boot
from stubmon_exporter import consolelog

BOARD = "arm64"
XEN = "4.20"
STUCK = 3
ARGS = (
    "interval=1 count=10 pcpus=1 vcpus=1 format=table+json xenlog=1 pause=4:1:0 "
    "alert=stuck:%d,log:Watchdog exit=qemu" % STUCK
)
SPIN_S = 5
# domid: (MiB, vCPUs, guest command line)
DOMUS = {
    1: (16, 1, "role=guest spin=%d run=60 end=stay" % SPIN_S),
    2: (16, 2, "role=guest run=60 end=stay"),
    3: (16, 1, "role=guest run=0 end=stay"),
    4: (16, 1, "role=guest run=0 end=stay"),
    5: (16, 1, "role=guest run=0 end=stay watchdog=5"),
}
SCHEMA = os.path.join(boot.REPO, "docs", "stubmon-2.schema.json")


def pcpu_lines(polls):
    """[(poll number, {pCPU: busy tenths or None})] from pcpus=1's lines."""
    return [(p.number, {c["cpu"]: c["busy"] for c in p.pcpus}) for p in polls]


@pytest.fixture(scope="module")
def run(image):
    image(BOARD)
    domus = [
        {"mem_mib": m, "vcpus": v, "args": a} for m, v, a in (DOMUS[i] for i in sorted(DOMUS))
    ]
    res = boot.boot(BOARD, XEN, ARGS, timeout=150, domus=domus)
    assert not res.timed_out, res.text[-3000:]
    # our lines whole again where another domain's line cut one (two pCPUs,
    # six domains printing): the ALERT and xenlog checks read them
    res.raw = res.lines
    res.lines = consolelog.mended(res.raw)
    res.polls = consolelog.polls(res.raw)
    res.pcpus = pcpu_lines(res.polls)
    res.vcpus = vcpu_lines(res.polls)
    res.json = consolelog.json_lines(res.raw)
    return res


def vcpu_lines(polls):
    """{poll number: {domid: [(vcpu, state, pcpu, cpu tenths or None)]}}"""
    return {
        p.number: {
            d: [(v["vcpu"], v["state"], v["pcpu"], v["cpu"]) for v in vs]
            for d, vs in p.vcpus.items()
        }
        for p in polls
    }


def guest_stamp(run, domid, prefix):
    """Xen's uptime (tenths of a second) a guest printed in its line."""
    for _, d, text in consolelog.stamped_lines(run.lines):
        if d == domid and text.startswith(prefix):
            s = re.search(r" (\d+)\.(\d)\d*s", text)
            return int(s.group(1)) * 10 + int(s.group(2))
    raise AssertionError("domain %d never said %r" % (domid, prefix))


def test_every_poll_parses_and_ends(run):
    assert [p.number for p in run.polls] == list(range(1, 11))
    assert all(p.complete for p in run.polls)


def test_host_line_busy_from_the_second_poll(run):
    assert run.polls[0].host["busy"] is None
    for p in run.polls[1:]:
        assert p.host["busy"] is not None and 0 <= p.host["busy"] <= 1000, p.host


def test_one_pcpu_line_per_pcpu_every_poll(run):
    cpus = run.polls[0].host["cpus"]
    assert cpus == 2  # QEMU -smp 2
    assert [n for n, _ in run.pcpus] == list(range(1, 11))
    for n, busy in run.pcpus:
        assert sorted(busy) == list(range(cpus)), (n, busy)
    assert set(run.pcpus[0][1].values()) == {None}


def test_pcpu_busy_rises_while_a_guest_spins_and_falls_when_it_blocks(run):
    start = guest_stamp(run, 1, "stubmon guest: hello")
    end = guest_stamp(run, 1, "stubmon guest: spun until")
    assert end - start >= SPIN_S * 10
    ups = dict((p.number, p.uptime_ds) for p in run.polls)
    busy = dict(run.pcpus)
    # a poll's figures cover the time since the poll before it
    during = [n for n in range(2, 11) if ups[n - 1] >= start and ups[n] <= end]
    after = [n for n in range(2, 11) if ups[n - 1] >= end + 5]
    assert during and after, (start, end, ups)
    for n in during:  # one pCPU taken by the spinning guest
        assert max(busy[n].values()) >= 800, (n, busy[n])
        assert run.polls[n - 1].host["busy"] >= 400, run.polls[n - 1].host
    for n in after:  # both nearly idle: the monitor polls a few ms a second
        assert max(busy[n].values()) <= 300, (n, busy[n])
    assert max(p.host["busy"] for p in run.polls if p.number in after) < min(
        p.host["busy"] for p in run.polls if p.number in during
    )


def test_vcpu_lines_match_each_domains_vcpu_count(run):
    want = dict((i, DOMUS[i][1]) for i in DOMUS)
    want[0] = 1
    for p in run.polls:
        got = run.vcpus[p.number]
        assert sorted(got) == [r["ID"] for r in p.rows], (p.number, got)
        for domid, n in want.items():
            assert [v[0] for v in got[domid]] == list(range(n)), (p.number, domid, got[domid])
            assert p.row(domid)["VCPUs"] == len([v for v in got[domid] if v[1] != "offline"])
            for _, _, pcpu, _ in got[domid]:
                assert 0 <= pcpu < p.host["cpus"]


def test_spinning_vcpu_runs_on_the_busy_pcpu(run):
    busy = dict(run.pcpus)
    seen = 0
    for n in range(2, 11):
        ((vcpu, state, pcpu, pct),) = run.vcpus[n][1]
        # it spun most of this interval (credit2 may have moved it once
        # between the two pCPUs: the one it is on now was busy most of it)
        if pct is not None and pct >= 800:
            assert busy[n][pcpu] >= 500, (n, pcpu, busy[n])
            seen += 1
    assert seen >= 1, run.vcpus


def test_json_lines_are_stubmon2_and_carry_pcpus_and_vcpus(run):
    with open(SCHEMA) as f:
        v = jsonschema.Draft202012Validator(json.load(f))
    polls = [o for o in run.json if o["type"] == "poll"]
    assert [o["poll"] for o in polls] == list(range(1, 11))
    for o in run.json:
        v.validate(o)
    for o, t in zip(polls, run.polls):
        assert o["host"]["busy_pct_x10"] == t.host["busy"]
        assert len(o["host"]["pcpus"]) == t.host["cpus"]
        for d in o["domains"]:
            assert [(x["vcpu"], x["pcpu"]) for x in d["vcpu_list"]] == [
                (x[0], x[2]) for x in run.vcpus[o["poll"]][d["id"]]
            ]


def alerts(run, rule):
    return [l for l in run.lines if l.startswith("stubmon ALERT") and " %s " % rule in l]


def test_xens_watchdog_line_is_forwarded_once_and_fires_log_alert(run):
    xen = [l for l in run.lines if re.match(r"^\(XEN\) .*Watchdog timer fired for domain 5$", l)]
    assert len(xen) == 1, run.text[-3000:]  # Xen's own line on the console
    fwd = [l for l in run.lines if l.startswith("stubmon xenlog: ")]
    assert [l for l in fwd if "Watchdog timer fired for domain 5" in l] == [
        "stubmon xenlog: " + xen[0][len("(XEN) ") :]
    ]  # the same line, once
    a = alerts(run, "log:Watchdog")
    assert len(a) == 1 and re.match(
        r"^stubmon ALERT \d+\.\d{3}s: host log:Watchdog firing "
        r"\(\[ *\d+\.\d+\] Watchdog timer fired for domain 5\)$",
        a[0],
    ), a
    logs = [o for o in run.json if o["type"] == "log"]
    # each text line's JSON twin; the ring's lines from before the start
    # marked in both (the text's mark, JSON "earlier")
    mark = "stubmon xenlog: (logged before this monitor started) "
    assert [(o["line"], o.get("earlier", False)) for o in logs] == [
        (l[len(mark) :], True) if l.startswith(mark) else (l[len("stubmon xenlog: ") :], False)
        for l in fwd
    ]
    assert [o.get("earlier") for o in logs][:1] == [True]  # Xen's boot, read at start
    # its row says why it went: shut down by the watchdog
    assert run.polls[-1].row(5)["State"][3:5] == "sw"
    # the monitor's own output (dom0's lines are in Xen's ring too) never comes back
    assert not [l for l in fwd if "stubmon" in l[len("stubmon xenlog: ") :]]


def test_stuck_fires_for_a_guest_blocked_for_good_not_a_paused_one(run):
    fired = dict(
        (int(re.search(r" domain (\d+) ", l).group(1)), l)
        for l in alerts(run, "stuck:%d" % STUCK)
        if " firing " in l
    )
    assert 3 in fired, alerts(run, "stuck:%d" % STUCK)
    assert "unchanged for %d polls, blocked" % STUCK in fired[3]
    assert 4 not in fired and 0 not in fired, fired
    assert all(p.row(4)["State"][2] == "p" for p in run.polls[1:])  # paused from poll 2 on


X86_ARGS = (
    "interval=1 count=3 demo=2 demo_keep=0 pcpus=1 vcpus=1 xenlog=1 format=table+json "
    "alert=stuck:1,hostmem<99,pcpu>0 exit=qemu"
)


@pytest.fixture(scope="module")
def x86(image):
    image("x86_64")
    res = boot.boot("x86_64", XEN, X86_ARGS, timeout=120)
    assert not res.timed_out, res.text[-3000:]
    res.polls = consolelog.polls(res.lines)
    res.pcpus = pcpu_lines(res.polls)
    res.vcpus = vcpu_lines(res.polls)
    res.json = consolelog.json_lines(res.lines)
    return res


def test_x86_64_pcpus_vcpus_and_host_alerts(x86):
    assert [p.number for p in x86.polls] == [1, 2, 3] and all(p.complete for p in x86.polls)
    assert [p.host["cpus"] for p in x86.polls] == [1, 1, 1]
    assert x86.polls[0].host["busy"] is None
    for p in x86.polls[1:]:
        # one pCPU: the host's busy is that pCPU's; the monitor alone keeps it low
        assert 0 < p.host["busy"] < 300 and dict(x86.pcpus)[p.number] == {0: p.host["busy"]}
        # dom0: one vCPU, running (it is the one asking); the empty demo domains none
        assert x86.vcpus[p.number][0] == [(0, "running", 0, x86.vcpus[p.number][0][0][3])]
        assert 1 not in x86.vcpus[p.number] and 2 not in x86.vcpus[p.number]
    fired = [l for l in x86.lines if l.startswith("stubmon ALERT")]
    assert [l.split(": ", 1)[1] for l in fired if " hostmem<99 " in l] == [
        "host hostmem<99 firing (free %s%% of %dk)"
        % (
            "%d.%d"
            % divmod(
                (x86.polls[0].host["free_k"] * 1000 + x86.polls[0].host["total_k"] // 2)
                // x86.polls[0].host["total_k"],
                10,
            ),
            x86.polls[0].host["total_k"],
        )
    ]
    assert len([l for l in fired if " host pcpu>0 firing (pCPU 0 busy " in l]) == 1
    assert not [l for l in fired if "stuck:" in l], fired  # paused demo domains, a busy dom0
    with open(SCHEMA) as f:
        v = jsonschema.Draft202012Validator(json.load(f))
    for o in x86.json:
        v.validate(o)
    last = [o for o in x86.json if o["type"] == "poll"][-1]
    assert [d["vcpu_list"] for d in last["domains"] if d["id"]] == [[], []]
