# SPDX-License-Identifier: MIT
"""Rows of docs/faults.md whose fault no other boot sets up, each set up on
real Xen under QEMU:

- more domains vanish than gone:N remembers (1024): fault=vanish:1 makes
  1032 empty domains at poll 1 and destroys them after it (x86_64 PV dom0,
  Xen 4.20);
- in one xl scenario (Linux dom0, Xen 4.17 with FLASK enforcing, booted
  WITHOUT guest_loglvl=all, as a release Xen runs by default): a monitor
  domU on console=auto, whose every poll reaches the PV ring while Xen
  shows none of its Xen-console lines until the guest log level is raised
  by hand; and a monitor domU that fails before its first poll
  (fault=fatal:1): said with its traceback, then the domain crashes."""

import os
import re

import pytest

import boot
from stubmon_exporter import consolelog
from test_xl_x86_64 import BOARD, TIMEOUT, payload, section, xl_list, xlboot

MAX_MISSING = 1024  # monitor/stubmon/alerts.py: vanished domains gone:N remembers
VANISH = MAX_MISSING + 8  # what fault=vanish:P makes (monitor/stubmon/testopts.py)


# --- more vanished domains than gone:N remembers ------------------------------
@pytest.fixture(scope="module")
def vanish(image):
    image("x86_64")
    res = boot.boot(
        "x86_64", "4.20", "interval=1 count=2 fault=vanish:1 alert=gone:1 exit=qemu", timeout=240
    )
    assert res.guest_exit == 0, res.text[-3000:]
    return res


def test_vanished_past_the_bound_are_forgotten_and_said_once(vanish):
    lines = vanish.lines
    made = "stubmon: test fault: made %d of %d domains, ids " % (VANISH, VANISH)
    assert len([l for l in lines if l.startswith(made)]) == 1, [
        l for l in lines if "test fault" in l
    ]
    polls = consolelog.polls(lines)
    assert [p.summary["domains"] for p in polls] == [VANISH + 1, 1]
    assert (
        "stubmon: test fault: destroyed %d domains after poll 1 (fault=vanish:1)" % VANISH
    ) in lines
    said = [l for l in lines if l.startswith("stubmon: alert gone:")]
    assert said == [
        "stubmon: alert gone: more than %d vanished domains; forgot the 8 that vanished "
        "first (8 forgotten since start), their gone: alerts too" % MAX_MISSING
    ], said
    # said when they vanished: before poll 2
    assert said and lines.index(said[0]) < lines.index(
        next(l for l in lines if l.startswith("stubmon poll 2: "))
    )


def test_gone_fires_for_the_remembered_only(vanish):
    """gone:1 fires at poll 2 for the 1024 remembered, never for the 8
    forgotten, and the run goes on."""
    made = next(l for l in vanish.lines if l.startswith("stubmon: test fault: made "))
    lo, hi = map(int, re.search(r"ids (\d+)\.\.(\d+) ", made).groups())
    assert hi - lo + 1 == VANISH, made
    al = consolelog.alerts(vanish.lines)
    assert all(
        (a[2], a[3], a[4]) == ("gone:1", "firing", "missing from 1 poll, was paused") for a in al
    ), al[:3]
    fired = [a[1] for a in al]
    assert len(fired) == MAX_MISSING == len(set(fired)), len(fired)
    assert set(fired) < set(range(lo, hi + 1))
    assert consolelog.polls(vanish.lines)[-1].complete


# --- a release Xen's guest log level; a failure before the first poll ----------
SCENARIO = r"""
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
flog=/var/log/xen/console/guest-fatal.log
section getenforce xl getenforce
# a monitor that fails before its first poll: it says so (on console=auto,
# its PV ring among them) and crashes; the shipped config keeps it (on_crash)
section create-fatal xl create /etc/xen/stubmon.cfg 'name="fatal"' 'extra="fault=fatal:1"'
wait_log $flog '^RuntimeError: test fault' 20 || { section guest-log-fatal cat $flog; exit 1; }
i=0
while [ $i -lt 50 ]; do
    case "$(xl list fatal 2>/dev/null | awk 'NR == 2 { print $5 }')" in *c*) break ;; esac
    sleep 0.1; i=$((i + 1))
done
section xl-list-fatal xl list
# the monitor on console=auto: the PV ring and (the policy grants
# writeconsole) the Xen console, which Xen filters at the guest log level
section create xl create /etc/xen/stubmon.cfg 'extra="interval=1"'
wait_log $log '^stubmon poll 3 end' 30 || { section guest-log cat $log; exit 1; }
echo "scenario: monitor domain $(xl domid stubmon)"
section dmesg-before sh -c "xl dmesg | grep -F 'stubmon poll'; true"
# the control: the guest log level raised by hand (debug keys G, then +),
# as guest_loglvl=all would have set it
echo "scenario: raising the guest log level after poll $(grep -c '^stubmon poll [0-9]* end' $log)"
section loglvl sh -c "xl debug-keys G; xl debug-keys +; xl debug-keys +; xl debug-keys +; xl debug-keys +"
n=$(grep -c '^stubmon poll [0-9]* end' $log)
wait_log $log "^stubmon poll $((n + 2)) end" 20 || exit 1
section dmesg-after sh -c "xl dmesg | grep -F 'stubmon poll'; true"
xl pause stubmon
section guest-log cat $log
section guest-log-fatal cat $flog
"""


def without_guest_loglvl(qemu_command):
    """xlboot's QEMU command with guest_loglvl=all taken off Xen's line."""

    def command(*args, **kw):
        cmd = qemu_command(*args, **kw)
        i = cmd.index("-append") + 1
        words = cmd[i].split()
        assert "guest_loglvl=all" in words, cmd[i]
        cmd[i] = " ".join(w for w in words if w != "guest_loglvl=all")
        return cmd

    return command


@pytest.fixture(scope="module")
def release(image):
    elf = image(BOARD)
    log = os.path.join(boot.REPO, "build", "xl-fault-rows.log")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xlboot, "qemu_command", without_guest_loglvl(xlboot.qemu_command))
        res = xlboot.scenario(SCENARIO, payload(elf), flask=True, timeout=TIMEOUT, log=log)
    assert not res.timed_out, "\n".join(res.lines[-40:])
    return res


def test_scenario_completes(release):
    assert release.scenario_exit == 0, "\n".join(release.lines[-60:])


def raw_section(res, name):
    """A section's lines as printed, Xen's and the guests' lines kept (what
    `xl dmesg` prints are Xen's log lines, guests' among them)."""
    lines = res.lines
    i = lines.index("=== begin " + name)
    return lines[i + 1 : lines.index("=== end " + name, i)]


def xen_line(res, text):
    return [l for l in res.lines if l.startswith("(XEN) ") and text in l]


def test_release_xen_without_guest_loglvl_all(release):
    """The fault is set up: FLASK enforcing, and Xen's command line
    without guest_loglvl, so Xen's default guest log level."""
    assert section(release, "getenforce")[-1] == "Enforcing"
    cmdline = xen_line(release, "Command line:")
    assert cmdline and "guest_loglvl" not in cmdline[0], cmdline
    level = xen_line(release, "Guest Loglevel:")
    assert level and "Guest Loglevel: All" not in level[0], level


def test_console_auto_every_poll_reaches_the_ring(release):
    log = section(release, "guest-log")
    assert "stubmon: console xen+ring" in log, log[:12]
    polls = consolelog.polls(log)
    assert len(polls) >= 5 and [p.number for p in polls] == list(range(1, len(polls) + 1)), log[
        -20:
    ]
    assert all(p.complete for p in polls[:-1])


def monitor_domid(res):
    return int(next(l for l in res.lines if l.startswith("scenario: monitor domain ")).split()[-1])


def test_xen_shows_none_of_its_console_lines_until_the_level_is_raised(release):
    """Written to the Xen console all along (the policy grants it): none
    of it on the serial line or in `xl dmesg` at the release level; once
    the guest level is raised by hand, the next polls come through."""
    domid = monitor_domid(release)
    raised = release.lines.index(
        next(l for l in release.lines if l.startswith("scenario: raising the guest log level"))
    )
    before = [t for t in consolelog.stamped_lines(release.lines[:raised]) if t[1] == domid]
    assert before == [], before[:5]
    assert [l for l in raw_section(release, "dmesg-before") if "stubmon" in l] == []
    after = [t for t in consolelog.stamped_lines(release.lines[raised:]) if t[1] == domid]
    assert [t for t in after if re.match(r"^stubmon poll \d+ end$", t[2])], after[:10]
    assert [
        l
        for l in raw_section(release, "dmesg-after")
        if "(d%d) " % domid in l and "stubmon poll" in l
    ]


def test_a_failure_before_the_first_poll_is_said_then_the_domain_crashes(release):
    log = section(release, "guest-log-fatal")
    i = log.index("stubmon: fatal error: RuntimeError: test fault (fault=fatal:1)")
    assert log[i + 1] == "Traceback (most recent call last):", log[i:]
    assert [l for l in log[i + 2 :] if "in start" in l], log[i:]
    assert log[-1] == "RuntimeError: test fault (fault=fatal:1)", log[i:]
    assert not [l for l in log if l.startswith("stubmon poll ")], log
    rows = {r["name"]: r for r in xl_list(section(release, "xl-list-fatal")).values()}
    assert rows["fatal"]["State"][4] == "c", rows  # crashed (kept: on_crash="preserve")
    # nothing of it on the serial line either (the guest log level)
    fatal_id = [
        i for i, r in xl_list(section(release, "xl-list-fatal")).items() if r["name"] == "fatal"
    ][0]
    assert not [t for t in consolelog.stamped_lines(release.lines) if t[1] == fatal_id]
