# SPDX-License-Identifier: MIT
"""stubmon as the arm64 dom0 of Xen 4.17 and 4.20 under QEMU, watching four
dom0less domUs that run the same Image as `role=guest` and end in each way
a guest can: power off, crash, reboot, stay up (paused and unpaused by the
monitor's pause= test option)."""

import re

import pytest

import boot
from stubmon_exporter import consolelog

BOARD = "arm64"
DOM0_MEM = boot.load_board(BOARD).DOM0_MEM_MIB
# 1.3 s between polls: the domUs start with dom0 and end 2, 3 and 3.5 s in,
# at least 0.4 s from any poll (at 0, 1.3, 2.6, 3.9 s ...), so an end the
# next poll found is told from one VIRQ_DOM_EXC woke a listing for (with
# whole-second polls the first two ended within a ms of a poll)
ARGS = "interval=1.3 count=6 pause=3:2:4 stats=1 exit=qemu"
# domid: (MiB, vCPUs, guest command line), as the device tree gives them
DOMUS = {
    1: (16, 1, "role=guest run=2 end=poweroff"),
    2: (24, 2, "role=guest run=3 end=crash"),
    3: (20, 1, "role=guest run=0.5 end=stay"),
    4: (18, 1, "role=guest run=3.5 end=reboot"),
}
# the event each domU's end must give, exactly once
ENDS = {1: "shutdown (poweroff)", 2: "crashed", 4: "shutdown (reboot)"}
FINAL_STATE = {1: "---s--", 2: "---sc-", 3: "-b----", 4: "---sr-"}


@pytest.fixture(scope="module", params=["4.17", "4.20"])
def run(request, image):
    image(BOARD)
    domus = [
        {"mem_mib": m, "vcpus": v, "args": a} for m, v, a in (DOMUS[i] for i in sorted(DOMUS))
    ]
    assert tuple(domus) == boot.load_board(BOARD).DEFAULT_DOMUS  # what `make run` shows
    res = boot.boot(BOARD, request.param, ARGS, timeout=120, domus=domus)
    res.xen = request.param
    return res


def test_ends_through_psci_with_success(run):
    assert not run.timed_out, run.text[-3000:]
    assert run.guest_exit == 0, run.text[-3000:]


def test_first_line_names_platform_and_xen(run):
    first = next(l for l in run.lines if l.startswith("stubmon"))
    assert re.match(r"^stubmon: arm64 on xen %s\.\d+" % re.escape(run.xen), first), first


def test_every_poll_lists_dom0_and_each_domu_as_configured(run):
    polls = consolelog.polls(run.lines)
    assert [p.number for p in polls] == [1, 2, 3, 4, 5, 6]
    for p in polls:
        assert p.complete and p.xen.startswith(run.xen + ".")
        assert p.ids() == [0, 1, 2, 3, 4]
        dom0 = p.row(0)
        assert (dom0["Mem(MiB)"], dom0["MaxMem(MiB)"], dom0["VCPUs"]) == (DOM0_MEM, DOM0_MEM, 1)
        assert dom0["State"][0] == "r"
        for domid, (mib, vcpus, _) in DOMUS.items():
            r = p.row(domid)
            assert (r["Mem(MiB)"], r["MaxMem(MiB)"], r["VCPUs"]) == (mib, mib, vcpus), (
                p.number,
                r,
            )


def test_final_states_show_each_end(run):
    last = consolelog.polls(run.lines)[-1]
    for domid, state in FINAL_STATE.items():
        assert last.row(domid)["State"] == state, (domid, last.rows)


def test_guests_say_hello_and_bye_once(run):
    g = consolelog.stamped_lines(run.lines)
    for domid, (_, _, args) in DOMUS.items():
        hello = [t for t in g if t[1] == domid and t[2].startswith("stubmon guest: hello")]
        assert len(hello) == 1, (domid, g)
        end = args.split("end=")[1]
        bye = [t for t in g if t[1] == domid and t[2].startswith("stubmon guest: bye")]
        if end == "stay":
            assert bye == []
        else:
            assert len(bye) == 1 and bye[0][2].endswith("(%s)" % end), bye


def poll_starts_us(lines):
    """Each poll's start (Xen time, us) from its stats line (stats=1)."""
    return [
        int(dict(kv.split("=") for kv in l.split()[2:])["now_us"])
        for l in lines
        if l.startswith("stubmon: stats ")
    ]


def test_each_end_is_one_event_within_a_second(run):
    """The event comes from VIRQ_DOM_EXC at once, not at the next poll:
    its stamp (Xen time) is after Xen's stamp of the guest's last line,
    which the guest prints right before SCHEDOP_shutdown, and before the
    first poll that starts after that line, the earliest poll that could
    have seen the end; a poll stamps its events with its own start, so no
    poll's start is the event's stamp either."""
    ev = consolelog.events(run.lines)
    g = consolelog.stamped_lines(run.lines)
    starts = poll_starts_us(run.lines)
    assert len(starts) == 6, starts
    at_polls = set(t // 1000 for t in starts)  # event stamps are whole ms
    for domid, state in ENDS.items():
        mine = [e for e in ev if e[1] == domid and e[2].endswith("-> " + state)]
        assert len(mine) == 1, (domid, ev)
        bye = [t for t in g if t[1] == domid and t[2].startswith("stubmon guest: bye")][0]
        assert bye[0] is not None, bye
        stamp = mine[0][0]
        # (Xen stamps a domU's line when it prints it: up to ms after the
        # guest wrote it; event stamps are truncated to whole ms)
        assert stamp - bye[0] >= -20000, (domid, mine, bye)
        later = [t for t in starts if t > bye[0]]
        assert later, (domid, bye, starts)  # count=6 runs past every end
        assert stamp < later[0], (domid, "found by the poll at %d us" % later[0], mine, bye)
        assert stamp // 1000 not in at_polls, (domid, mine, starts)
    # nothing happens to a domain after it has ended
    for domid in ENDS:
        after = [e for e in ev if e[1] == domid]
        assert after[-1][2].endswith("-> " + ENDS[domid]), after


def test_pause_and_unpause_are_events_right_after(run):
    ev = consolelog.events(run.lines)
    paused = [e for e in ev if e[1] == 3 and e[2].endswith("-> paused")]
    resumed = [e for e in ev if e[1] == 3 and e[2].startswith("paused -> ")]
    assert len(paused) == 1 and len(resumed) == 1, ev
    # printed by the re-listing right after the domctl (with any other
    # change that listing saw: one line per domain, in domid order)
    for said, want in (
        ("stubmon: paused 3 after poll 2", paused),
        ("stubmon: unpaused 3 after poll 4", resumed),
    ):
        i = run.lines.index(said) + 1
        block = []
        while i < len(run.lines) and (
            run.lines[i].startswith("stubmon event ") or run.lines[i].startswith("(")
        ):
            block += consolelog.events([run.lines[i]])
            i += 1
        assert want[0] in block, (said, block)
    polls = consolelog.polls(run.lines)
    assert polls[1].row(3)["State"][2] == "-"
    assert polls[2].row(3)["State"][2] == "p" and polls[3].row(3)["State"][2] == "p"
    assert polls[4].row(3)["State"][2] == "-"
    # the event's stamp is the time of the pause: between polls 2 and 3
    assert (
        polls[1].uptime_ds * 100000 - 100000
        <= paused[0][0]
        <= polls[2].uptime_ds * 100000 + 100000
    )


def test_events_in_time_order_and_each_once(run):
    ev = consolelog.events(run.lines)
    assert [e[0] for e in ev] == sorted(e[0] for e in ev)
    assert len(set(ev)) == len(ev)
    # no event about dom0, nothing appears or goes in this scenario
    assert not [e for e in ev if e[1] == 0 or "appeared" in e[2] or "gone" in e[2]], ev


def test_monitor_blocks_between_polls(run):
    stats = [
        dict(kv.split("=") for kv in l.split()[2:])
        for l in run.lines
        if l.startswith("stubmon: stats ")
    ]
    assert len(stats) == 6
    wall = int(stats[-1]["now_us"]) - int(stats[0]["now_us"])
    cpu = int(stats[-1]["cpu_us"]) - int(stats[0]["cpu_us"])
    assert wall >= 4900000
    assert 0 < cpu < wall // 5, (cpu, wall)


def test_clock_agrees_with_xen_console_stamps(run):
    """Each guest's own hello/bye time (its calibrated Xen clock) is never
    ahead of Xen's stamp of that very line, and behind it only by the time
    the line takes to reach Xen (milliseconds; up to 1 s allowed for a
    vCPU preempted in between on a loaded machine)."""
    for t, domid, text in consolelog.stamped_lines(run.lines):
        m = re.match(r"^stubmon guest: (?:hello|bye) at (\d+)\.(\d{3})s", text)
        if m and t is not None:
            own = int(m.group(1)) * 1000000 + int(m.group(2)) * 1000
            assert -50000 <= t - own <= 1000000, (domid, t, own, text)


def test_exit_line_is_the_exit_code():
    """Without isa-debug-exit the harness reads 'stubmon: exit N' (dom0's
    own line, never a domU's) from a run QEMU ended with status 0."""
    r = boot.Result(
        ["(d1) [ 1.0] stubmon: exit 000", "stubmon: exit 001", "(XEN) halting"], 0, False, 1.0
    )
    r.exit_from_console = True
    assert r.guest_exit == 1
    r.lines = ["stubmon: exit 000"]
    assert r.guest_exit == 0
    r.lines = ["(d1) stubmon: exit 000"]
    assert r.guest_exit is None
    r.lines, r.status = ["stubmon: exit 000"], None
    assert r.guest_exit is None


@pytest.mark.parametrize("xen", ["4.17", "4.20"])
def test_demo_domains_go_as_events(xen, image):
    """Empty domains made by dom0 (HVM+HAP on Arm) are listed; destroying
    them raises VIRQ_DOM_EXC: one 'gone' event each, before the next poll."""
    image(BOARD)
    res = boot.boot(
        BOARD, xen, "count=3 interval=1 demo=2 demo_keep=1 exit=qemu", timeout=60, domus=()
    )
    assert res.guest_exit == 0, res.text[-2000:]
    polls = consolelog.polls(res.lines)
    assert polls[0].ids() == [0, 1, 2]
    assert all(r["State"] == "--p---" and r["MaxMem(MiB)"] == 16 for r in polls[0].rows[1:])
    assert [p.ids() for p in polls[1:]] == [[0], [0]]
    ev = consolelog.events(res.lines)
    assert [(e[1], e[2]) for e in ev] == [(1, "gone (was paused)"), (2, "gone (was paused)")], ev
    gone = res.lines.index("stubmon: demo destroyed 2 domains")
    second = res.lines.index(next(l for l in res.lines if l.startswith("stubmon poll 2:")))
    assert gone < min(i for i, l in enumerate(res.lines) if l.startswith("stubmon event")) < second
