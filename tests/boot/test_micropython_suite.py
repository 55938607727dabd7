# SPDX-License-Identifier: MIT
"""MicroPython's own test suite (basics/, micropython/, extmod/ of its
1.25.0 tests) inside the Xen guest: run-tests.py, unmodified, drives the
image's raw REPL over Xen's serial console, as ports/qemu's `make test`
does (tools/micropython_suite.py, tools/suite_target.py). The image boots
as x86_64 PV dom0 on Xen 4.20 under QEMU (-smp 1), and as arm64 dom0. What is left out is in
tests/micropython-exclude.txt with its reason; docs/micropython-suite.md."""

import fnmatch
import os
import sys

import pytest

import micropython_suite as suite

BOARD, XEN = "x86_64", "4.20"
# Measured 2026-12-02 on this 2-core machine: 525 of 815 tests pass
# (basics 484, micropython 28, extmod 13); the main run took 53 s, the
# excluded run 51 s. A new feature in the image raises it (and makes some
# listed tests pass, which test_no_listed_test_passes asks to unlist).
PASS_FLOOR = 525
PASS_FLOOR_PER_DIR = {"basics": 484, "micropython": 28, "extmod": 13}
# The whole suite (both runs, each with its boot) must stay well inside
# `make test`; about 105 s here.
SUITE_SECONDS_MAX = 300


# x86_64 as a PV dom0; arm64 as dom0 alone (tools/suite_target.py): the
# same counts on both (arm64 measured the same day: main run 36 s).
BOARDS = ("x86_64", "arm64")


@pytest.fixture(scope="module", params=BOARDS)
def result(request, image):
    image(request.param)
    main, excluded, exclusions, tests = suite.run_suite(request.param, XEN)
    print("\n".join(suite.summary(main, excluded)))
    return main, excluded, exclusions, tests


def test_run_tests_reports_no_failures(result):
    main = result[0]
    assert main.status == 0, main.output[-3000:]
    assert main.having("FAIL") == []
    assert "%d tests passed" % len(main.having("pass")) in main.output


def test_passes_at_least_the_measured_floor(result):
    main = result[0]
    assert len(main.having("pass")) >= PASS_FLOOR, suite.summary(main, result[1])
    per_dir = main.per_dir()
    for d, floor in PASS_FLOOR_PER_DIR.items():
        assert per_dir[d]["pass"] >= floor, (d, per_dir[d])


def test_no_silent_skips(result):
    """The main run skips nothing: every test it does not pass is one the
    list leaves out, with a reason."""
    main, _, exclusions, tests = result
    assert main.having("skip") == []
    for t in tests:
        if t not in main.verdicts:
            assert suite.reason_for(t, exclusions), t


def test_every_test_has_one_verdict(result):
    main, excluded, _, tests = result
    assert set(main.verdicts) | set(excluded.verdicts) == set(tests)
    assert not set(main.verdicts) & set(excluded.verdicts)


def test_no_listed_test_passes(result):
    """The listed tests, run on their own boot, still skip or fail here:
    the list has no stale entry, and every pattern names a test."""
    excluded, exclusions, tests = result[1], result[2], result[3]
    assert excluded.having("pass") == []
    assert set(excluded.having("skip")) | set(excluded.having("FAIL")) == {
        t for t in tests if suite.reason_for(t, exclusions)
    }
    for pattern, reason in exclusions:
        assert any(fnmatch.fnmatchcase(t, pattern) for t in tests), pattern
        assert len(reason) > 10, pattern


def test_nothing_but_the_guest_on_the_serial_line(result):
    """One boot per run (the guest never died and was booted again) and no
    line of Xen's own once the REPL was up: nothing but the guest's
    output reached what run-tests compares."""
    for run in result[:2]:
        assert run.boots() == 1, run.log
        assert run.xen_lines() == [], run.xen_lines()[:5]


def test_the_suite_is_quick(result):
    main, excluded = result[:2]
    assert main.seconds + excluded.seconds < SUITE_SECONDS_MAX, suite.summary(main, excluded)


def test_problems_finds_none(result):
    assert suite.problems(*result) == []


@pytest.fixture(scope="module")
def pyb(image):
    """pyboard.py (MicroPython's own, unmodified) on a fresh boot."""
    image(BOARD)
    sys.dont_write_bytecode = True  # nothing written into .deps
    sys.path.insert(0, os.path.join(suite.MPY_TESTS, "..", "tools"))
    import pyboard

    out = os.path.join(suite.REPO, "build", "micropython-suite")
    os.makedirs(out, exist_ok=True)
    target = "exec:%s %s --board %s --xen %s --log %s" % (
        sys.executable,
        os.path.join(suite.REPO, "tools", "suite_target.py"),
        BOARD,
        XEN,
        os.path.join(out, "pyboard-serial.log"),
    )
    p = pyboard.Pyboard(target)
    yield p, pyboard
    p.close()


def test_soft_reset_gives_a_fresh_namespace(pyb):
    """Ctrl-D in the raw REPL: globals, sys.modules and micropython's VM
    switches are back to what they were when the REPL started."""
    p, pyboard = pyb
    p.enter_raw_repl()
    assert p.exec_("print('stubmon' in globals(), 'leak' in globals())") == b"True False\r\n"
    p.exec_(
        "leak = 1\nimport sys\nsys.modules['leak_mod'] = sys\n"
        "import micropython\nmicropython.opt_level(3)\nimport gc\ngc.disable()\n"
        "micropython.heap_lock()"
    )
    p.enter_raw_repl()  # soft reset
    assert (
        p.exec_(
            "import sys, gc, micropython\n"
            "print('leak' in globals(), 'leak_mod' in sys.modules, "
            "micropython.opt_level(), gc.isenabled(), len(bytearray(10)))"
        )
        == b"False False 0 True 10\r\n"
    )


def test_system_exit_is_a_soft_reset(pyb):
    """A test that says SKIP ends with SystemExit: run-tests then waits for
    the raw REPL's banner after a soft reset."""
    p, pyboard = pyb
    p.enter_raw_repl()
    p.exec_raw_no_follow("leak = 2\nraise SystemExit")
    assert p.read_until(1, b"raw REPL; CTRL-B to exit\r\n").endswith(
        b"soft reboot\r\nraw REPL; CTRL-B to exit\r\n"
    )
    assert p.exec_("print('leak' in globals())") == b"False\r\n"


def test_unbounded_recursion_is_an_error_not_a_crash(pyb):
    p, pyboard = pyb
    p.enter_raw_repl()
    with pytest.raises(pyboard.PyboardError) as e:
        p.exec_("def f():\n    f()\nf()")
    assert b"RuntimeError: maximum recursion depth exceeded" in e.value.args[2]
    assert p.exec_("print(1 + 2)") == b"3\r\n"


def test_a_bad_exclusion_line_is_a_one_line_error(tmp_path):
    bad = tmp_path / "exclude.txt"
    bad.write_text("# fine\nbasics/int1.py   a reason\nbasics/int2.py\n")
    with pytest.raises(SystemExit) as e:
        suite.load_exclusions(str(bad))
    assert str(e.value) == "%s:3: want 'PATTERN.py  reason', got 'basics/int2.py'" % bad
