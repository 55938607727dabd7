# SPDX-License-Identifier: MIT
"""MicroPython's own modules in the image (port-xen/mpconfigport.h), tried
at the REPL (repl=1) of real Xen under QEMU: json, str.partition, slice
assignment, OrderedDict and the time module on the HAL (port-xen/
mphalport.c): its clocks are Xen's, its sleeps block the vCPU (no spin),
kick Xen's watchdog and take Ctrl-C; the same watchdog catches a
statement that hangs, which ends the run. Also the early console: the
first line, printed before console_init(), reaches the serial line."""

import re

import pytest

import boot
from test_repl import HANG, WATCHDOG_FIRED, Script, answer, clean

PROMPT = ">>> "
# (board, Xen, boot mode)
SETUPS = [("x86_64", "4.20", "pv"), ("arm64", "4.20", "dom0")]
PLATFORM = {"pv": "x86_64-pv", "dom0": "arm64"}

SLEEP = "c0 = xen.cpu_ns(); t0 = time.ticks_ms(); time.sleep_ms(300); t1 = time.ticks_ms()"
# A step: a line typed at the next prompt after `pause` host seconds, or,
# with `ctrl_c` set, Ctrl-C sent that many seconds after the line.
STEPS = [
    ("import json, time", 0, None),
    ("d = {'a': [1, {'b': None, 'c': True}], 'e': 'x=y', 'n': -7}", 0, None),
    ("json.loads(json.dumps(d)) == d", 0, None),
    ("json.dumps({'k': [1, None, False]})", 0, None),
    ("json.loads('[1, \"a\", {\"b\": null}]')", 0, None),
    ("'a=b=c'.partition('=')", 0, None),
    ("b = bytearray(b'abcdef'); b[1:5] = bytes(4); b", 0, None),
    ("from collections import OrderedDict", 0, None),
    ("list(OrderedDict([('z', 1), ('a', 2), ('m', 3)]))", 0, None),
    ("t0 = time.ticks_ms(); u0 = time.ticks_us()", 0, None),
    ("time.ticks_diff(time.ticks_ms(), t0), time.ticks_diff(time.ticks_us(), u0)", 0.5, None),
    (SLEEP, 0, None),
    # read after the REPL has blocked for this line: the CPU time of the
    # sleep (completed stints only) is then counted
    ("c1 = xen.cpu_ns()", 0, None),
    ("'slept_ms=%d cpu_ms=%d' % (time.ticks_diff(t1, t0), (c1 - c0) // 1000000)", 0, None),
    ("t0 = time.ticks_us(); time.sleep_us(2000); time.ticks_diff(time.ticks_us(), t0)", 0, None),
    ("t0 = time.ticks_ms(); time.sleep(1); time.ticks_diff(time.ticks_ms(), t0)", 0, None),
    ("a = time.time_ns(); x = xen.time_ns(); z = time.time_ns()", 0, None),
    ("a <= x <= z, (z - a) // 1000, abs(time.time() - x // 10**9) <= 1", 0, None),
    # a 2 s watchdog through a 5 s sleep: the sleep must kick it
    ("xen.watchdog(2); time.sleep(5); xen.watchdog(30)", 0, None),
    ("'alive'", 0, None),
    ("t0 = time.ticks_ms()", 0, None),
    ("time.sleep(30)", 0, 1.0),
    ("time.ticks_diff(time.ticks_ms(), t0)", 0, None),
    # the control: the same 2 s watchdog, armed again (Xen's time said
    # right after), and a statement that never kicks it: Xen must fire
    ("xen.watchdog(2); xen.time_ns()", 0, None),
    (HANG + "\r", 0, None),  # a compound statement: an empty line ends it
]
ARMED = STEPS[23][0]
XEN_STAMP = re.compile(r"^\(XEN\) \[\s*(\d+)\.(\d{6})\] ")


def script(steps):
    """test_repl.Script typing STEPS: each line at its prompt after its
    pause, and a Ctrl-C on time after a line that has one."""
    out = []
    for line, pause, ctrl_c in steps:
        out.append(("line", line, pause))
        if ctrl_c is not None:
            out.append(("after", ctrl_c, b"\x03"))
    return Script(out)


@pytest.fixture(scope="module", params=SETUPS, ids=["%s-%s-%s" % s for s in SETUPS])
def run(request, image):
    board, xen, mode = request.param
    image(board)
    typist = script(STEPS)
    res = boot.boot(
        board,
        xen,
        "repl=1 exit=qemu",
        timeout=150,
        mode=mode,
        send=typist,
        until=lambda l: WATCHDOG_FIRED in l,
    )
    res.typist, res.platform = typist, PLATFORM[mode]
    return res


def test_ends_with_the_watchdog_catching_the_last_statement(run):
    assert not run.timed_out, run.text[-3000:]
    assert run.typist.lines_typed == len(STEPS), run.text[-3000:]
    assert run.stopped and WATCHDOG_FIRED in run.text, run.text[-3000:]


def test_first_line_comes_before_console_init(run):
    """main.c prints it before console_init() picks the channels: it goes
    out the early way (CONSOLEIO_write), and comes before the monitor's."""
    boot_line = "boot: stubmon %s, heap " % run.platform
    lines = clean(run.lines)
    early = [i for i, l in enumerate(lines) if l.startswith(boot_line)]
    first = next(i for i, l in enumerate(lines) if l.startswith("stubmon"))
    assert len(early) == 1 and early[0] < first, lines[: first + 1]
    assert re.match(
        r"^boot: stubmon \S+, heap \d+ KiB of the domain's \d+ KiB, stack \d+ KiB$",
        lines[early[0]],
    )
    assert lines[first].startswith("stubmon: %s on xen " % run.platform)


def test_json_round_trip(run):
    assert answer(run, STEPS[2][0]) == "True"
    assert answer(run, STEPS[3][0]) == "'{\"k\": [1, null, false]}'"
    assert answer(run, STEPS[4][0]) == "[1, 'a', {'b': None}]"


def test_partition_slice_assignment_ordereddict(run):
    assert answer(run, STEPS[5][0]) == "('a', '=', 'b=c')"
    assert answer(run, STEPS[6][0]) == "bytearray(b'a\\x00\\x00\\x00\\x00f')"
    assert answer(run, STEPS[8][0]) == "['z', 'a', 'm']"


def test_ticks_advance(run):
    m = re.match(r"^\((\d+), (\d+)\)$", answer(run, STEPS[10][0]))
    assert m, answer(run, STEPS[10][0])
    ms, us = int(m.group(1)), int(m.group(2))
    # typed 0.5 s (host) after the prompt: both clocks moved, and agree
    assert ms >= 300 and us >= 300000, (ms, us)
    assert abs(us // 1000 - ms) <= 5, (ms, us)


def test_sleep_ms_blocks_not_spins(run):
    """300 ms of sleep_ms take 300..600 ms of ticks_ms, while the domain's
    own CPU time grows by far less: the vCPU was blocked, not spinning."""
    m = re.match(r"^'slept_ms=(\d+) cpu_ms=(\d+)'$", answer(run, STEPS[13][0]))
    assert m, run.text[-3000:]
    slept, cpu = int(m.group(1)), int(m.group(2))
    assert 300 <= slept <= 600, (slept, cpu)
    assert cpu < 100, (slept, cpu)


def test_sleep_us_and_sleep_seconds(run):
    us = int(answer(run, STEPS[14][0]))
    assert 2000 <= us <= 200000, us
    ms = int(answer(run, STEPS[15][0]))
    assert 1000 <= ms <= 1500, ms


def test_time_ns_is_xen_time(run):
    m = re.match(r"^\((True|False), (\d+), (True|False)\)$", answer(run, STEPS[17][0]))
    assert m, answer(run, STEPS[17][0])
    ordered, spread_us, seconds_agree = m.group(1) == "True", int(m.group(2)), m.group(3) == "True"
    # xen.time_ns() read between two time.time_ns(), all within a few ms
    assert ordered and spread_us < 5000 and seconds_agree, m.group(0)


def test_long_sleep_kicks_the_watchdog(run):
    """5 s of time.sleep with a 2 s watchdog: the sleep kicks it at every
    half timeout; without that Xen ends dom0 and 'alive' never comes. The
    control: the same 2 s watchdog armed at the end, then a statement that
    never kicks it: Xen fires, once, after that statement and 2 s after
    the Xen time read right after arming it, not before (so xen.watchdog(2)
    arms a real 2 s watchdog, and only the sleep kept it from firing)."""
    assert answer(run, STEPS[18][0]) == "0"  # xen.watchdog(2)
    assert answer(run, STEPS[18][0], skip=1) == "0"  # xen.watchdog(30)
    assert answer(run, "'alive'") == "'alive'"
    assert answer(run, ARMED) == "0"
    armed_us = int(answer(run, ARMED, skip=1)) // 1000
    fired = [i for i, l in enumerate(run.lines) if WATCHDOG_FIRED in l]
    alive = next(i for i, l in enumerate(run.lines) if l == "'alive'")
    hang = max(i for i, l in enumerate(run.lines) if l.startswith(">>> " + HANG))
    assert len(fired) == 1 and alive < hang < fired[0], run.text[-3000:]
    m = XEN_STAMP.match(run.lines[fired[0]])
    assert m, run.lines[fired[0]]
    fired_us = int(m.group(1)) * 1000000 + int(m.group(2))
    # the REPL kicked it last when the hang was typed, after armed_us: 2 s
    # from then at the earliest (0.1 s: arm64's clock is calibrated), and
    # no later than the typing (a prompt or two) allows
    assert 2000000 - 100000 <= fired_us - armed_us <= 2000000 + 5000000, (armed_us, fired_us)


def test_ctrl_c_ends_a_sleep(run):
    """Ctrl-C 1 s into time.sleep(30) raises KeyboardInterrupt at once."""
    assert answer(run, "time.sleep(30)") == "Traceback (most recent call last):"
    lines = clean(run.lines)
    i = lines.index(PROMPT + "time.sleep(30)")
    assert [l for l in lines[i : i + 5] if l.startswith("KeyboardInterrupt")], lines[i : i + 5]
    ms = int(answer(run, STEPS[22][0]))
    assert 1000 <= ms <= 5000, ms
