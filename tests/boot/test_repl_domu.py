# SPDX-License-Identifier: MIT
"""repl=1 in a plain PV domU started by `xl create` in a Debian Linux dom0
(tools/dom0, Xen 4.17 without FLASK): input comes through the domain's PV
console ring, typed into the pty xenconsoled gives it (what `xl console`
opens); the answers are read back from xenconsoled's log."""
import pytest

from test_xl_x86_64 import BOARD, run_scenario, section


@pytest.fixture(scope="module")
def run(image):
    return run_scenario(image(BOARD), "repl_domu", flask=False)


def test_scenario_completes(run):
    assert run.scenario_exit == 0, "\n".join(run.lines[-60:])


def test_answers_through_the_ring(run):
    log = section(run, "guest-log")
    assert log[log.index(">>> 1+2") + 1] == "3", log
    assert log[log.index(">>> xen.platform") + 1] == "'x86_64-pv'", log
    assert log[log.index(">>> sum(range(10))") + 1] == "45", log


def test_ctrl_c_through_the_ring(run):
    log = section(run, "guest-log")
    i = log.index(">>> while True: pass")
    assert log[i + 1:i + 5] == ["... ", "Traceback (most recent call last):", '  File "<stdin>", in <module>',
                                "KeyboardInterrupt: "], log[i:i + 6]
    assert log[log.index(">>> 'after the interrupt'") + 1] == "'after the interrupt'", log


def test_input_line_bound_through_the_ring(run):
    log = section(run, "guest-log")
    i = next(i for i, l in enumerate(log) if l.startswith(">>> s = '000"))
    assert log[i] == ">>> s = '" + "0" * (512 - 5), log[i][-20:]
    assert log[i + 1] == "stubmon: repl: input line longer than 512 characters: 94 more dropped", log[i:i + 3]


def test_idle_prompt_kicks_the_watchdog(run):
    log = section(run, "guest-log")
    assert log[log.index(">>> xen.watchdog(3)") + 1] == "0", log
    assert log[log.index(">>> 'still here'") + 1] == "'still here'", log
    assert not [l for l in run.lines if "Watchdog timer fired" in l]


def test_ctrl_d_ends_the_repl_and_the_domain(run):
    log = section(run, "guest-log")
    assert "stubmon: repl: ended" in log
    names = [l.split()[0] for l in section(run, "xl-list")[1:]]
    assert "stubmon" not in names, names
