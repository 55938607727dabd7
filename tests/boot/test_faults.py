# SPDX-License-Identifier: MIT
"""The fault matrix (docs/faults.md) on real Xen under QEMU, the monitor as
dom0: an exception and a MemoryError in a poll are said with a traceback,
counted and survived; a hang is caught by Xen's watchdog; a command line
as long as Xen keeps is said to be cut; an accelerated soak keeps the heap,
the poll grid and the change trackers flat."""
import json
import os
import re

import jsonschema
import pytest

import boot

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = json.load(open(os.path.join(boot.REPO, "docs", "stubmon-2.schema.json")))
# (board, xen, mode): x86_64 PV and PVH, arm64 dom0 (with its dom0less domUs)
SETUPS = [("x86_64", "4.20", "pv"), ("x86_64", "4.17", "pvh"), ("arm64", "4.20", None)]
IDS = ["%s-%s%s" % (b, x, "-" + m if m else "") for b, x, m in SETUPS]
STATS = re.compile(r"^stubmon: stats (.*)$")

# the poll grid, watchdog, CPU and rate checks: run alone under pytest-xdist (tests/conftest.py)
pytestmark = pytest.mark.alone


def stats(lines):
    return [dict(kv.split("=") for kv in m.group(1).split())
            for m in (STATS.match(l) for l in lines) if m]


def booted(image, board, xen, mode, args, timeout=120, **kw):
    image(board)
    if mode:
        kw["mode"] = mode
    return boot.boot(board, xen, args, timeout=timeout, **kw)


@pytest.fixture(scope="module", params=SETUPS, ids=IDS)
def errors(request, image):
    board, xen, mode = request.param
    return booted(image, board, xen, mode,
                  "interval=0.5 count=6 fault=raise:2,memory:4 format=table+json stats=1 exit=qemu")


def test_errors_do_not_end_the_run(errors):
    assert not errors.timed_out, errors.text[-3000:]
    assert errors.guest_exit == 0, errors.text[-3000:]
    done = [l for l in errors.lines if re.match(r"^stubmon poll \d+ end$", l)]
    # polls 2 and 4 failed half way, the other four printed whole tables
    assert done == ["stubmon poll %d end" % n for n in (1, 3, 5, 6)], done


def test_an_exception_is_said_with_its_traceback(errors):
    lines = errors.lines
    i = lines.index("stubmon: error in poll 2: RuntimeError: test fault (fault=raise:2)")
    assert lines[i + 1] == "Traceback (most recent call last):", lines[i:i + 6]
    assert [l for l in lines[i + 1:i + 8] if "in inject_fault" in l], lines[i:i + 8]


def test_a_memory_error_collects_and_says_the_heap(errors):
    oom = [l for l in errors.lines if l.startswith("stubmon: out of memory in poll 4")]
    assert len(oom) == 1, errors.text[-3000:]
    m = re.match(r"^stubmon: out of memory in poll 4; after a collection the heap has "
                 r"(\d+) bytes used, (\d+) free; going on$", oom[0])
    assert m, oom[0]
    used, free = int(m.group(1)), int(m.group(2))
    assert free > used   # the hog was collected: most of the heap is free again


def test_errors_are_counted_in_stats_and_json(errors):
    st = stats(errors.lines)
    assert [(s["poll"], s["errors"]) for s in st] == [("1", "0"), ("3", "1"), ("5", "2"), ("6", "2")], st
    js = [json.loads(l) for l in errors.lines if l.startswith('{"schema":"stubmon/2","type":"error"')]
    assert [(j["where"], j["errors"]) for j in js] == [("poll 2", 1), ("poll 4", 2)], js
    for j in js:
        jsonschema.validate(j, SCHEMA)


def on_the_grid(st, interval_us):
    """Each poll's lateness behind the grid point it was due at (the
    monitor's due_us), after checking the grid: point p is due_1 + (p - 1)
    * interval exactly. Measured from due_us, not from poll 1's start: a
    loaded host can stall the vCPU between the grid's origin and poll 1's
    clock reading, which would make every later poll look early."""
    due0 = int(st[0]["due_us"])
    for s in st:
        assert int(s["due_us"]) - due0 == (int(s["poll"]) - 1) * interval_us, s
    return [int(s["now_us"]) - int(s["due_us"]) for s in st]


def test_polls_stay_on_the_grid_after_errors(errors):
    st = stats(errors.lines)
    late = on_the_grid(st, 500000)
    for s, l in zip(st, late):
        # a poll may start late, never early
        assert 0 <= l < 100000, (s["poll"], l)


@pytest.mark.parametrize("setup", SETUPS, ids=IDS)
def test_a_hang_is_caught_by_xens_watchdog(setup, image):
    board, xen, mode = setup
    res = booted(image, board, xen, mode, "interval=1 count=20 watchdog=5 fault=hang:3 exit=qemu",
                 until=lambda l: "Watchdog timer fired for domain 0" in l, timeout=90)
    assert res.stopped, res.text[-3000:]
    assert "stubmon: watchdog 5 s" in res.lines
    hang = next(l for l in res.lines if l.endswith("stubmon: test fault: hanging in poll 3 (fault=hang:3)"))
    fired = next(l for l in res.lines if "Watchdog timer fired for domain 0" in l)
    # Xen's time stamps: fired 5 s after the last kick (the end of poll 2,
    # just before the hang), give or take a second of emulation
    ts = re.compile(r"\[\s*(\d+\.\d+)\]")
    hung_at = float(ts.search(hang).group(1)) if ts.search(hang) else None
    fired_at = float(ts.search(fired).group(1))
    if hung_at is not None:
        assert 4.0 <= fired_at - hung_at <= 6.5, (hang, fired)
    assert not [l for l in res.lines if l.startswith("stubmon poll 3 end")]


@pytest.mark.parametrize("setup", SETUPS, ids=IDS)
def test_no_watchdog_with_watchdog_0(setup, image):
    board, xen, mode = setup
    res = booted(image, board, xen, mode, "interval=1 count=8 watchdog=0 fault=hang:2 exit=qemu",
                 until=lambda l: "hanging in poll 2" in l, timeout=90)
    assert res.stopped and "stubmon: watchdog off (watchdog=0)" in res.lines


# --- the soak -------------------------------------------------------------
# 1200 polls at 0.1 s: two minutes. Output kept to one JSON line and the
# stats line a poll: the 115200-baud serial line carries ~11 KB/s.
SOAK_POLLS = 1200
SOAK_INTERVAL_US = 100000


@pytest.fixture(scope="module")
def soak(image):
    return booted(image, "x86_64", "4.20", "pv",
                  "interval=0.1 count=%d stats=2 format=json alert=cpu>50,mem>90 exit=qemu"
                  % SOAK_POLLS, timeout=600)


def test_soak_runs_to_its_count(soak):
    assert not soak.timed_out and soak.guest_exit == 0, soak.text[-3000:]
    assert len(stats(soak.lines)) == SOAK_POLLS


def test_soak_heap_after_collection_is_flat(soak):
    heap = [int(s["heap"]) for s in stats(soak.lines)]
    settled = heap[50:]
    # a few hundred bytes of jitter (dict resizing, small ints), no growth
    assert max(settled) - min(settled) < 2048, (min(settled), max(settled))
    assert heap[-1] <= heap[100] + 512, (heap[100], heap[-1])


def test_soak_poll_grid_does_not_drift(soak):
    late = on_the_grid(stats(soak.lines), SOAK_INTERVAL_US)
    skipped = [l for l in late if l >= SOAK_INTERVAL_US]
    assert min(late) >= 0, min(late)
    assert len(skipped) == 0, skipped[:5]   # grid points are never lost for good
    assert late[-1] < SOAK_INTERVAL_US // 2, late[-1]


def test_soak_tables_do_not_grow(soak):
    """tracked= is the change trackers' size: one entry per domain in each,
    plus one per firing alert (alert=cpu>50 fires for dom0 itself when the
    host is loaded). Less the alerts firing at that poll, it stays flat."""
    firing, flat = set(), []
    for line in soak.lines:
        if line.startswith('{"schema":"stubmon/2","type":"alert"'):
            a = json.loads(line)
            key = (a["rule"], a["domain"])
            (firing.add if a["status"] == "firing" else firing.discard)(key)
        m = STATS.match(line)
        if m:
            s = dict(kv.split("=") for kv in m.group(1).split())
            flat.append(int(s["tracked"]) - len(firing))
            assert s["errors"] == "0", line
    assert len(flat) == SOAK_POLLS
    assert len(set(flat[10:])) == 1, sorted(set(flat))


def test_polls_back_off_while_failing_and_say_when_they_work_again(image):
    res = booted(image, "x86_64", "4.20", "pv",
                 "interval=0.5 count=5 stats=1 format=table+json fault=raise:1,raise:2,raise:3 exit=qemu")
    assert res.guest_exit == 0, res.text[-3000:]
    lines = res.lines
    assert [l for l in lines if l.startswith("stubmon: error in poll ")] == [
        "stubmon: error in poll %d: RuntimeError: test fault (fault=raise:%d)" % (n, n) for n in (1, 2, 3)]
    assert "stubmon: 3 errors in a row; backing off: one poll every 2 intervals until one works" in lines
    assert "stubmon: poll 4 worked again after 3 errors in a row; back to every interval" in lines
    # polls 1..3 on grid points 0..2 (their JSON error lines' uptime), then
    # two intervals: poll 4 at grid point 4, poll 5 at 5
    err_ms = [json.loads(l)["uptime_ms"] for l in lines if l.startswith('{"schema":"stubmon/2","type":"error"')]
    t_ms = [int(s["now_us"]) // 1000 for s in stats(lines)]   # polls 4 and 5
    assert len(err_ms) == 3 and len(t_ms) == 2, lines[-40:]
    assert [b - a for a, b in zip(err_ms, err_ms[1:])] == [500, 500] or \
        all(450 <= b - a <= 600 for a, b in zip(err_ms, err_ms[1:])), err_ms
    assert 950 <= t_ms[0] - err_ms[2] <= 1100, (err_ms, t_ms)   # backed off: 2 intervals
    assert 450 <= t_ms[1] - t_ms[0] <= 600, t_ms                 # back to every interval
