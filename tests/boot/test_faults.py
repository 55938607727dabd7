# SPDX-License-Identifier: MIT
"""The fault matrix (docs/faults.md) on real Xen under QEMU, the monitor as
dom0: a failure at start-up, an exception and a MemoryError in a poll and
an error in an event listing are said with a traceback, counted and
survived; a hang is caught by Xen's watchdog, not before its timeout, and
nothing fires with watchdog=0; an accelerated soak keeps the heap, the poll
grid and the change trackers flat."""

import json
import os
import re
import time

import jsonschema
import pytest

import boot
from stubmon_exporter import consolelog

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = json.load(open(os.path.join(boot.REPO, "docs", "stubmon-2.schema.json")))
# (board, xen, mode): x86_64 PV and PVH, arm64 dom0 (with its dom0less domUs)
SETUPS = [("x86_64", "4.20", "pv"), ("x86_64", "4.17", "pvh"), ("arm64", "4.20", None)]
IDS = ["%s-%s%s" % (b, x, "-" + m if m else "") for b, x, m in SETUPS]
STATS = re.compile(r"^stubmon: stats (.*)$")
XEN_STAMP = re.compile(r"^\(XEN\) \[\s*(\d+)\.(\d{6})\] ")
WATCHDOG_FIRED = "Watchdog timer fired for domain 0"

# the poll grid, watchdog, CPU and rate checks: run alone under pytest-xdist (tests/conftest.py)
pytestmark = pytest.mark.alone


def stats(lines):
    return [
        dict(kv.split("=") for kv in m.group(1).split())
        for m in (STATS.match(l) for l in lines)
        if m
    ]


def xen_us(line):
    """Xen's console stamp of one of its lines (console_timestamps=boot), in us."""
    m = XEN_STAMP.match(line)
    assert m, line
    return int(m.group(1)) * 1000000 + int(m.group(2))


def traceback_after(lines, i):
    """The traceback said after lines[i]: its header, frames and last line."""
    assert lines[i + 1] == "Traceback (most recent call last):", lines[i : i + 6]
    j = i + 2
    while j < len(lines) and lines[j].startswith("  "):
        j += 1
    return lines[i + 1 : j + 1]


def booted(image, board, xen, mode, args, timeout=120, **kw):
    image(board)
    if mode:
        kw["mode"] = mode
    return boot.boot(board, xen, args, timeout=timeout, **kw)


# Every survivable fault in one boot: creating the 2nd demo domain fails at
# start-up (the first is made, listed, and destroyed after poll 5), polls 2
# and 4 fail, and so does the event listing its destruction wakes after poll 5.
ERRORS_ARGS = (
    "interval=0.5 count=6 demo=2 demo_keep=5 fault=demo:2,raise:2,memory:4,listing:5 "
    "format=table+json stats=1 exit=qemu"
)


@pytest.fixture(scope="module", params=SETUPS, ids=IDS)
def errors(request, image):
    board, xen, mode = request.param
    return booted(image, board, xen, mode, ERRORS_ARGS)


def test_errors_do_not_end_the_run(errors):
    assert not errors.timed_out, errors.text[-3000:]
    assert errors.guest_exit == 0, errors.text[-3000:]
    done = [l for l in errors.lines if re.match(r"^stubmon poll \d+ end$", l)]
    # polls 2 and 4 failed half way, the other four printed whole tables
    assert done == ["stubmon poll %d end" % n for n in (1, 3, 5, 6)], done


def test_an_exception_is_said_with_its_traceback(errors):
    lines = errors.lines
    i = lines.index("stubmon: error in poll 2: RuntimeError: test fault (fault=raise:2)")
    tb = traceback_after(lines, i)
    assert [l for l in tb if "in inject_fault" in l], tb
    assert tb[-1] == "RuntimeError: test fault (fault=raise:2)", tb


def test_a_memory_error_collects_and_says_the_heap(errors):
    oom = [
        i for i, l in enumerate(errors.lines) if l.startswith("stubmon: out of memory in poll 4")
    ]
    assert len(oom) == 1, errors.text[-3000:]
    line = errors.lines[oom[0]]
    m = re.match(
        r"^stubmon: out of memory in poll 4; after a collection the heap has "
        r"(\d+) bytes used, (\d+) free; going on$",
        line,
    )
    assert m, line
    used, free = int(m.group(1)), int(m.group(2))
    assert free > used  # the hog was collected: most of the heap is free again
    # then its traceback: where the heap ran out (the fault's allocation
    # loop), and MicroPython's own MemoryError, not the fault's fallback raise
    tb = traceback_after(errors.lines, oom[0])
    assert [l for l in tb if "in inject_fault" in l], tb
    assert tb[-1].startswith("MemoryError: memory allocation failed"), tb


def test_a_failure_at_start_up_is_said_counted_and_the_polls_go_on(errors):
    """fault=demo:2: making the 2nd demo domain raises, before the first
    poll. Said with its traceback, counted; the run goes on, and its polls
    list the domain made before the failure until it goes after poll 5."""
    lines = errors.lines
    i = lines.index("stubmon: error in demo: RuntimeError: test fault (fault=demo:2)")
    first = next(k for k, l in enumerate(lines) if l.startswith("stubmon poll 1: "))
    assert i < first
    tb = traceback_after(lines, i)
    assert [l for l in tb if "in create_demo" in l], tb
    polls = {p.number: p for p in consolelog.polls(lines)}
    made = set(polls[1].ids()) - set(polls[6].ids())
    assert len(made) == 1, (polls[1].ids(), polls[6].ids())
    demo = made.pop()
    for n in (1, 3, 5):
        r = polls[n].row(demo)
        assert r["State"] == "--p---" and r["MaxMem(MiB)"] == 16, (n, r)
    assert "stubmon: demo destroyed 1 domains" in lines
    assert not [l for l in lines if l.startswith("stubmon: demo created")]


def test_an_error_in_an_event_listing_is_said_counted_and_sleeping_goes_on(errors):
    """fault=listing:5: the event listing that the demo domain's
    destruction after poll 5 wakes (VIRQ_DOM_EXC) raises. Said between
    poll 5 and poll 6 with its traceback, counted; the sleep goes on to
    poll 6's grid point, and the change it missed is still said, once."""
    lines = errors.lines
    i = lines.index(
        "stubmon: error in event listing after poll 5: RuntimeError: test fault (fault=listing:5)"
    )
    six = next(k for k, l in enumerate(lines) if l.startswith("stubmon poll 6: "))
    assert lines.index("stubmon: demo destroyed 1 domains") < i < six
    tb = traceback_after(lines, i)
    assert [l for l in tb if "in check_events" in l], tb
    st = {s["poll"]: s for s in stats(lines)}
    assert 0 <= int(st["6"]["now_us"]) - int(st["6"]["due_us"]) < 100000, st["6"]
    polls = {p.number: p for p in consolelog.polls(lines)}
    demo = (set(polls[5].ids()) - set(polls[6].ids())).pop()
    gone = [
        (k, l)
        for k, l in enumerate(lines)
        if l.startswith("stubmon event ") and l.endswith(": domain %d gone (was paused)" % demo)
    ]
    assert len(gone) == 1 and i < gone[0][0] < lines.index("stubmon poll 6 end"), gone


def test_errors_are_counted_in_stats_and_json(errors):
    st = stats(errors.lines)
    assert [(s["poll"], s["errors"]) for s in st] == [
        ("1", "1"),
        ("3", "2"),
        ("5", "3"),
        ("6", "4"),
    ], st
    js = [
        json.loads(l) for l in errors.lines if l.startswith('{"schema":"stubmon/2","type":"error"')
    ]
    assert [(j["where"], j["errors"]) for j in js] == [
        ("demo", 1),
        ("poll 2", 2),
        ("poll 4", 3),
        ("event listing after poll 5", 4),
    ], js
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


HANG_3 = "stubmon: test fault: hanging in poll 3 (fault=hang:3)"


@pytest.mark.parametrize("setup", SETUPS, ids=IDS)
def test_a_hang_is_caught_by_xens_watchdog(setup, image):
    """watchdog=5, interval=1: kicked when the next poll's end would be
    half the timeout from the last kick, so not after polls 1 and 2; poll
    3 hangs. Xen fires it after the hang and 5 s after the last kick (here
    the arming), not before. Every time is Xen's: its console stamp of the
    fired line, and the monitor's stats lines (now_us, due_us, kicked_us:
    Xen time read by the monitor)."""
    board, xen, mode = setup
    res = booted(
        image,
        board,
        xen,
        mode,
        "interval=1 count=20 watchdog=5 stats=1 fault=hang:3 exit=qemu",
        until=lambda l: WATCHDOG_FIRED in l,
        timeout=90,
    )
    assert res.stopped, res.text[-3000:]
    assert "stubmon: watchdog 5 s" in res.lines
    hang = next(i for i, l in enumerate(res.lines) if l.endswith(HANG_3))
    fired = [i for i, l in enumerate(res.lines) if WATCHDOG_FIRED in l]
    assert len(fired) == 1 and hang < fired[0], res.text[-3000:]
    fired_at = xen_us(res.lines[fired[0]])
    st = stats(res.lines)
    assert [s["poll"] for s in st] == ["1", "2"], st
    # the last kick: the arming (poll 2's stats line: no kick so far);
    # after poll 2 (1 s after poll 1) the next poll's end would be 2 s
    # from it, under half the timeout: no kick; poll 3 comes before the
    # sleep's wake to kick (2.5 s after the arming)
    assert [s["kicks"] for s in st] == ["0", "0"], st
    kicked = int(st[1]["kicked_us"])
    assert kicked <= int(st[0]["now_us"]), st
    hang_due = int(st[1]["due_us"]) + 1000000  # poll 3 starts no earlier
    # not before the timeout, and from Xen's timer at once after it (50 ms:
    # the arm64 image's clock is calibrated, not Xen's own)
    assert 5000000 - 50000 <= fired_at - kicked <= 5000000 + 1000000, (fired_at, st[1])
    assert fired_at > hang_due, (fired_at, hang_due)
    assert not [l for l in res.lines if l.startswith("stubmon poll 3 end")]


HANG_2 = "stubmon: test fault: hanging in poll 2 (fault=hang:2)"
# What the default would have armed for interval=1: 4 intervals, at least
# 30 s (docs/options.md); the run is watched for twice that after the hang.
DEFAULT_WATCHDOG_S = 30
SWITCH_INPUT = b"\x01\x01\x01"  # Ctrl-A three times: Xen switches serial input, says so
SWITCHED = "*** Serial input to "


class XenClock:
    """Stamps of Xen's own clock while dom0 hangs and prints nothing:
    Ctrl-A three times on the serial line makes Xen switch its input and
    print a stamped line. Typed once the hang line is seen, then again
    after `watch_s` host seconds and every 2 s after, until two of those
    lines are `watch_s` of Xen time apart."""

    def __init__(self, watch_s):
        self.watch_s = watch_s
        self.hung = None  # host time the hang line came
        self.last = None  # host time of the last typing
        self.stamps = []  # Xen stamps (us) of the switch lines after the hang

    def send(self, text, partial):
        now = time.monotonic()
        if self.hung is None:
            if not partial and text.endswith(HANG_2):
                self.hung = self.last = now
                return SWITCH_INPUT
            return None
        if now - self.last >= (self.watch_s + 1 if len(self.stamps) < 2 else 2):
            self.last = now
            return SWITCH_INPUT
        return None

    def until(self, line):
        if self.hung is not None and SWITCHED in line and XEN_STAMP.match(line):
            self.stamps.append(xen_us(line))
        return len(self.stamps) >= 2 and self.stamps[-1] - self.stamps[0] >= self.watch_s * 1000000


def test_no_watchdog_with_watchdog_0(image):
    """watchdog=0 and poll 2 hangs for good: Xen stays silent for twice
    the timeout the default would have armed, on Xen's own clock, from a
    stamp taken after the hang began to one 60 s later (x86_64 PV, Xen
    4.20: the property is the monitor's Python, the same on every boot
    kind, and a minute of watching is worth one boot, not three)."""
    watch_s = 2 * DEFAULT_WATCHDOG_S
    clock = XenClock(watch_s)
    res = booted(
        image,
        "x86_64",
        "4.20",
        "pv",
        "interval=1 count=8 watchdog=0 fault=hang:2 exit=qemu",
        send=clock.send,
        until=clock.until,
        timeout=watch_s + 90,
    )
    assert res.stopped, res.text[-3000:]
    assert "stubmon: watchdog off (watchdog=0)" in res.lines
    hang = next(i for i, l in enumerate(res.lines) if l.endswith(HANG_2))
    # the hang went on: nothing but Xen's own lines after it, dom0 not ended
    assert all(l.startswith("(XEN) ") for l in res.lines[hang + 1 :]), res.lines[hang:]
    assert len(clock.stamps) >= 2 and clock.stamps[-1] - clock.stamps[0] >= watch_s * 1000000, (
        clock.stamps
    )
    assert not [
        l
        for l in res.lines
        if "Watchdog timer fired" in l or "Dom0 shutdown" in l or "Dom0 crashed" in l
    ], res.text[-3000:]


# --- the soak -------------------------------------------------------------
# 1200 polls at 0.1 s: two minutes. Output kept to one JSON line and the
# stats line a poll: the 115200-baud serial line carries ~11 KB/s.
SOAK_POLLS = 1200
SOAK_INTERVAL_US = 100000


@pytest.fixture(scope="module")
def soak(image):
    return booted(
        image,
        "x86_64",
        "4.20",
        "pv",
        "interval=0.1 count=%d stats=2 format=json alert=cpu>50,mem>90 exit=qemu" % SOAK_POLLS,
        timeout=600,
    )


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
    assert len(skipped) == 0, skipped[:5]  # grid points are never lost for good
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
    res = booted(
        image,
        "x86_64",
        "4.20",
        "pv",
        "interval=0.5 count=5 stats=1 format=table+json fault=raise:1,raise:2,raise:3 exit=qemu",
    )
    assert res.guest_exit == 0, res.text[-3000:]
    lines = res.lines
    assert [l for l in lines if l.startswith("stubmon: error in poll ")] == [
        "stubmon: error in poll %d: RuntimeError: test fault (fault=raise:%d)" % (n, n)
        for n in (1, 2, 3)
    ]
    assert (
        "stubmon: 3 errors in a row; backing off: one poll every 2 intervals until one works"
        in lines
    )
    assert "stubmon: poll 4 worked again after 3 errors in a row; back to every interval" in lines
    # polls 1..3 on grid points 0..2 (their JSON error lines' uptime), then
    # two intervals: poll 4 at grid point 4, poll 5 at 5
    err_ms = [
        json.loads(l)["uptime_ms"]
        for l in lines
        if l.startswith('{"schema":"stubmon/2","type":"error"')
    ]
    t_ms = [int(s["now_us"]) // 1000 for s in stats(lines)]  # polls 4 and 5
    assert len(err_ms) == 3 and len(t_ms) == 2, lines[-40:]
    assert [b - a for a, b in zip(err_ms, err_ms[1:])] == [500, 500] or all(
        450 <= b - a <= 600 for a, b in zip(err_ms, err_ms[1:])
    ), err_ms
    assert 950 <= t_ms[0] - err_ms[2] <= 1100, (err_ms, t_ms)  # backed off: 2 intervals
    assert 450 <= t_ms[1] - t_ms[0] <= 600, t_ms  # back to every interval
