# SPDX-License-Identifier: MIT
"""Idle means idle on every kind of boot: what the monitor does between
polls on real Xen 4.20 under QEMU, as its stats lines count it (port-xen/
clock.c): with nothing happening (dom0 alone), each interval is one sleep,
one SCHEDOP_poll, no wake by an event and no early wake; the watchdog
(watchdog=5) kicked only after the polls by which the next poll's end
would be half its timeout from the last kick: every other poll. x86_64 PV
and PVH dom0, arm64 dom0 (alone: no dom0less guest, whose end would be a
wake by an event); polls 4 to 8 compared."""

import pytest

import boot

KINDS = [("x86_64", "pv"), ("x86_64", "pvh"), ("arm64", "dom0")]
KEYS = ("sleeps", "blocks", "wakes", "early", "kicks")


def counts(lines):
    out = []
    for l in lines:
        if l.startswith("stubmon: stats "):
            kv = dict(w.split("=") for w in l.split()[2:])
            out.append({k: int(kv[k]) for k in KEYS + ("poll",)})
    return out


@pytest.fixture(scope="module", params=KINDS, ids=["%s-%s" % k for k in KINDS])
def run(request, image):
    board, mode = request.param
    image(board)
    res = boot.boot(
        board, "4.20", "interval=1 count=8 watchdog=5 stats=1 exit=qemu", timeout=120, mode=mode
    )
    assert res.guest_exit == 0, res.text[-3000:]
    return res


def test_each_quiet_interval_is_one_block_and_kicks_are_rare(run):
    c = counts(run.lines)
    assert [x["poll"] for x in c] == list(range(1, 9)), run.text[-2000:]
    quiet = []
    for a, b in zip(c[3:], c[4:]):  # past start-up
        quiet.append({k: b[k] - a[k] for k in KEYS})
    for d in quiet:
        assert (d["sleeps"], d["blocks"], d["wakes"], d["early"]) == (1, 1, 0, 0), quiet
    # armed before poll 1; kicked after polls 3, 5 and 7 (2 s after the
    # last kick, the next poll's end would be 3 s from it: half of 5 s passed)
    assert [d["kicks"] for d in quiet] == [0, 1, 0, 1], quiet
