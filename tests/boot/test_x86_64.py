# SPDX-License-Identifier: MIT
"""stubmon as the x86_64 dom0 of Xen 4.17 and 4.20 under QEMU, the same
image booted as a PV and as a PVH guest."""

import re

import pytest

import boot
from stubmon_exporter import consolelog

BOARD = "x86_64"
DOM0_MEM = boot.load_board(BOARD).DOM0_MEM_MIB
# PVH dom0 gives back one page of dom0_mem: the RAM page whose frame our
# shared_info mapping (XENMEM_add_to_physmap) replaces. Mem is in whole
# MiB rounded down, as xl prints it.
DOM0_MEM_SHOWN = {"pv": DOM0_MEM, "pvh": DOM0_MEM - 1}
SETUPS = [(x, m) for x in ("4.17", "4.20") for m in ("pv", "pvh")]
# Three demo domains kept for two polls; one bad value and one unknown key
# that must be reported without stopping the run.
ARGS = "interval=0.5 count=5 demo=3 demo_keep=2 demo_mem=lots colour=blue stats=1 exit=qemu"


@pytest.fixture(scope="module", params=SETUPS, ids=["%s-%s" % s for s in SETUPS])
def run(request, image):
    image(BOARD)
    xen, mode = request.param
    res = boot.boot(BOARD, xen, ARGS, timeout=120, mode=mode)
    res.xen, res.mode = xen, mode
    return res


def test_ends_through_qemu_exit_with_success(run):
    assert not run.timed_out, run.text[-2000:]
    assert run.guest_exit == 0, run.text[-2000:]


def test_first_line_names_platform_and_xen(run):
    first = next(l for l in run.lines if l.startswith("stubmon"))
    assert re.match(
        r"^stubmon: x86_64-%s on xen %s\.\d+" % (run.mode, re.escape(run.xen)), first
    ), first


def test_blocks_between_polls(run):
    """The vCPU sleeps between polls: its own CPU time (vCPU runstate) grows
    by a small part of the wall time. A busy wait would make it grow ~1:1."""
    stats = [
        dict(kv.split("=") for kv in l.split()[2:])
        for l in run.lines
        if l.startswith("stubmon: stats ")
    ]
    assert len(stats) == 5
    wall = int(stats[-1]["now_us"]) - int(stats[0]["now_us"])
    cpu = int(stats[-1]["cpu_us"]) - int(stats[0]["cpu_us"])
    assert wall >= 1900000
    assert 0 < cpu < wall // 5, (cpu, wall)


def test_every_poll_parses(run):
    polls = consolelog.polls(run.lines)
    assert [p.number for p in polls] == [1, 2, 3, 4, 5]
    assert all(p.complete for p in polls)
    assert all(p.xen.startswith(run.xen + ".") for p in polls)
    uptimes = [p.uptime_ds for p in polls]
    assert uptimes == sorted(uptimes) and uptimes[-1] > uptimes[0]


def test_dom0_row_has_dom0_mem(run):
    for p in consolelog.polls(run.lines):
        dom0 = p.row(0)
        assert dom0 is not None
        assert dom0["Mem(MiB)"] == DOM0_MEM_SHOWN[run.mode]
        assert dom0["MaxMem(MiB)"] == DOM0_MEM
        assert dom0["VCPUs"] == 1
        assert dom0["State"][0] == "r"  # it is the one running the poll
    later = consolelog.polls(run.lines)[1:]
    assert all(p.row(0)["CPU(%)"] is not None for p in later)


def test_demo_domains_paused_then_gone(run):
    polls = consolelog.polls(run.lines)
    for p in polls[:2]:
        demo = [r for r in p.rows if r["ID"] != 0]
        assert len(demo) == 3
        for r in demo:
            assert r["State"] == "--p---"
            assert r["MaxMem(MiB)"] == 16  # the default, since demo_mem was bad
            assert r["Mem(MiB)"] == 0
    for p in polls[2:]:
        assert p.ids() == [0]


def test_probed_interfaces_match_headers(run, headers):
    want = headers(run.xen)
    m = [
        re.match(r"^stubmon: interfaces sysctl 0x([0-9a-f]+) domctl 0x([0-9a-f]+)", l)
        for l in run.lines
    ]
    m = [x for x in m if x]
    assert len(m) == 1
    assert int(m[0].group(1), 16) == want["sysctl"]
    assert int(m[0].group(2), 16) == want["domctl"]


def test_bad_option_reported_and_run_goes_on(run):
    bad = [l for l in run.lines if "demo_mem=lots" in l]
    unknown = [l for l in run.lines if "colour=blue" in l]
    assert len(bad) == 1 and "16" in bad[0]
    assert len(unknown) == 1 and "unknown" in unknown[0]
    first_poll = next(i for i, l in enumerate(run.lines) if l.startswith("stubmon poll 1:"))
    assert run.lines.index(bad[0]) < first_poll


@pytest.mark.parametrize("xen,mode", SETUPS, ids=["%s-%s" % s for s in SETUPS])
def test_lists_many_domains_in_batches(xen, mode, image):
    """150 domains need three getdomaininfolist batches: all must be listed."""
    image(BOARD)
    res = boot.boot(
        BOARD,
        xen,
        "interval=0.5 count=2 demo=150 demo_keep=1 view=all exit=qemu",
        timeout=180,
        mode=mode,
    )
    assert res.guest_exit == 0, res.text[-2000:]
    first, second = consolelog.polls(res.lines)
    assert first.ids() == list(range(151))
    assert all(r["State"] == "--p---" for r in first.rows[1:])
    assert second.ids() == [0]


def test_a_poll_is_one_console_write(run):
    """A poll's lines (the table and its stats line) reach Xen in one
    CONSOLEIO_write (stats writes= counts them), not one a line; the demo
    destroy after poll 2 and each event listing add their own one."""
    stats = [
        dict(kv.split("=") for kv in l.split()[2:])
        for l in run.lines
        if l.startswith("stubmon: stats ")
    ]
    for before, after in zip(stats, stats[1:]):
        steps = int(after["listings"]) + (after["poll"] == "3")
        assert int(after["writes"]) - int(before["writes"]) <= 1 + steps, (before, after)
    quiet = [(b, a) for b, a in zip(stats, stats[1:]) if a["listings"] == "0"]
    assert len(quiet) >= 2
    assert all(int(a["writes"]) - int(b["writes"]) == 1 for b, a in quiet), quiet
