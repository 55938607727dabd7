# SPDX-License-Identifier: MIT
"""repl=1 in a plain PV domU started by `xl create` in a Debian Linux dom0
(tools/dom0, Xen 4.17 without FLASK): input comes through the domain's PV
console ring, typed into the pty xenconsoled gives it (what `xl console`
opens); the answers are read back from xenconsoled's log. After the idle
prompt with Xen's watchdog armed, a control: a statement that hangs is
caught by the same watchdog, and xl restarts the domain (the shipped
config's on_watchdog), whose REPL then takes Ctrl-D."""

import os
import re

import pytest

from test_xl_x86_64 import BOARD, SCENARIOS, TIMEOUT, payload, section, xlboot

# Spliced into tools/dom0/scenarios/repl_domu.sh before its Ctrl-D step:
# Xen's time said after the 8 s idle, then a statement that never kicks
# the 3 s watchdog; xl restarts the domain, the script goes on with the new one.
CONTROL = r"""
type_line 'xen.time_ns()' '^[0-9]{9,}'
printf 'while True: pass\r\r' > $tty
i=0
while [ $i -lt 300 ]; do
    new=$(xl domid stubmon 2>/dev/null)
    [ -n "$new" ] && [ "$new" != "$domid" ] && break
    sleep 0.1; i=$((i + 1))
done
echo "scenario: hung domain $domid -> ${new:-none}"
[ -n "$new" ] && [ "$new" != "$domid" ] || { section guest-log cat $log; exit 1; }
domid=$new
i=0
while [ $(grep -c '^stubmon: repl: the poll loop is off' $log) -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
tty=$(xenstore-read /local/domain/$domid/console/tty)
echo "scenario: domain $domid console $tty"
"""
CTRL_D = "# Ctrl-D on an empty line"
FIRED = re.compile(r"^\(XEN\) \[\s*(\d+)\.(\d{6})\] Watchdog timer fired for domain (\d+)$")


@pytest.fixture(scope="module")
def run(image):
    with open(os.path.join(SCENARIOS, "repl_domu.sh")) as f:
        script = f.read()
    assert script.count(CTRL_D) == 1, (
        "repl_domu.sh changed: no single %r to put the control before" % CTRL_D
    )
    script = script.replace(CTRL_D, CONTROL + CTRL_D)
    log = os.path.join(xlboot.REPO, "build", "xl-repl_domu.log")
    res = xlboot.scenario(script, payload(image(BOARD)), flask=False, timeout=TIMEOUT, log=log)
    assert not res.timed_out, "\n".join(res.lines[-40:])
    return res


def domains(run):
    """The first domain's ID, and the one xl restarted it as."""
    first = next(l for l in run.lines if l.startswith("scenario: domain ") and " console " in l)
    hung = next(l for l in run.lines if l.startswith("scenario: hung domain "))
    m = re.match(r"^scenario: hung domain (\d+) -> (\d+)$", hung)
    assert m and int(first.split()[2]) == int(m.group(1)), (first, hung)
    return int(m.group(1)), int(m.group(2))


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
    assert log[i + 1 : i + 5] == [
        "... ",
        "Traceback (most recent call last):",
        '  File "<stdin>", in <module>',
        "KeyboardInterrupt: ",
    ], log[i : i + 6]
    assert log[log.index(">>> 'after the interrupt'") + 1] == "'after the interrupt'", log


def test_input_line_bound_through_the_ring(run):
    log = section(run, "guest-log")
    i = next(i for i, l in enumerate(log) if l.startswith(">>> s = '000"))
    assert log[i] == ">>> s = '" + "0" * (512 - 5), log[i][-20:]
    assert log[i + 1] == "stubmon: repl: input line longer than 512 characters: 94 more dropped", (
        log[i : i + 3]
    )


def test_idle_prompt_kicks_the_watchdog(run):
    """8 s idle at the prompt with a 3 s watchdog armed: still there. The
    control: Xen's time read after that, then a statement that hangs; the
    same watchdog fires, once, 3 s after it and not before, and xl
    restarts the domain (so it was armed all along, and only the waiting
    prompt's kicks kept it from firing)."""
    log = section(run, "guest-log")
    assert log[log.index(">>> xen.watchdog(3)") + 1] == "0", log
    assert log[log.index(">>> 'still here'") + 1] == "'still here'", log
    first, new = domains(run)
    assert new != first
    after_idle_us = int(log[log.index(">>> xen.time_ns()") + 1]) // 1000
    fired = [FIRED.match(l) for l in run.lines]
    fired = [m for m in fired if m]
    assert [int(m.group(3)) for m in fired] == [first], [m.group(0) for m in fired]
    fired_us = int(fired[0].group(1)) * 1000000 + int(fired[0].group(2))
    # kicked last when the hang was typed, after that time: 3 s on at the
    # earliest, and within what typing it through the ring takes
    assert 3000000 <= fired_us - after_idle_us <= 3000000 + 5000000, (after_idle_us, fired_us)


def test_ctrl_d_ends_the_repl_and_the_domain(run):
    """The restarted domain's REPL (xenconsoled appends its lines to the
    same log) ends on Ctrl-D, and the domain with it."""
    log = section(run, "guest-log")
    assert len([l for l in log if l.startswith("stubmon: repl: the poll loop is off")]) == 2, log
    assert log.count("stubmon: repl: ended") == 1, log
    names = [l.split()[0] for l in section(run, "xl-list")[1:]]
    assert "stubmon" not in names, names
