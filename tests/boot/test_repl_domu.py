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


def test_ctrl_d_ends_the_repl_and_the_domain(run):
    log = section(run, "guest-log")
    assert "stubmon: repl: ended" in log
    names = [l.split()[0] for l in section(run, "xl-list")[1:]]
    assert "stubmon" not in names, names
