# SPDX-License-Identifier: MIT
# role=guest: hello, blocked for run=, bye, then the chosen end.
import xen  # the fake

from stubmon import app
from stubmon import guest
from apprun import run
from stubmon import options


def run_guest(cmdline):
    return run(cmdline)


def test_poweroff_after_run_time():
    lines, how, st = run_guest('role=guest run=2 end=poweroff')
    assert how == ('shutdown', 0)
    assert lines[0] == 'stubmon: x86_64-pv on xen 4.20.4'
    hello = [l for l in lines if l.startswith('stubmon guest: hello')]
    bye = [l for l in lines if l.startswith('stubmon guest: bye')]
    assert hello == ['stubmon guest: hello at 1.000s, running 2s then poweroff']
    assert bye == ['stubmon guest: bye at 3.000s (poweroff)']
    assert lines[-1] == bye[0]
    # a guest lists nothing: no sysctl, no domctl
    assert st.ncalls == 0
    assert not [l for l in lines if l.startswith('stubmon poll')]


def test_each_end_has_its_reason():
    for end, reason in (('poweroff', 0), ('reboot', 1), ('crash', 3)):
        lines, how, st = run_guest('role=guest run=0.5 end=' + end)
        assert how == ('shutdown', reason), (end, how)
        assert lines[-1] == 'stubmon guest: bye at 1.500s (%s)' % end


def test_default_end_is_poweroff_after_3s():
    lines, how, st = run_guest('role=guest')
    assert how == ('shutdown', 0)
    assert lines[-1] == 'stubmon guest: bye at 4.000s (poweroff)'


def test_early_wakes_sleep_on_to_the_end():
    st = xen.reset(cmdline='role=guest run=2 end=crash')
    st.early_wakes = 3
    lines = []
    try:
        app.start(xen, say=lines.append)
    except xen.Exited as e:
        assert e.args == ('shutdown', 3)
    assert lines[-1] == 'stubmon guest: bye at 3.000s (crash)'


def test_stay_blocks_for_good():
    st = xen.reset()
    opts, msgs = options.parse('role=guest run=1 end=stay')
    lines = []
    guest.run(xen, opts, say=lines.append, forever=False)
    assert lines == [
        'stubmon guest: hello at 1.000s, running 1s then stay',
        'stubmon guest: staying up at 2.000s',
    ]
    assert st.now > 10**18  # it slept "forever", not in a loop of short naps


def test_guest_spins_then_blocks():
    # spin=: busy for that long (time_ns read in a loop), then the run
    st = xen.reset(cmdline='role=guest spin=0.5 run=1 end=poweroff')
    st.tick = 100000  # each clock read: 0.1 ms
    lines = []
    try:
        app.start(xen, say=lines.append)
    except xen.Exited:
        pass
    assert lines[-2].startswith('stubmon guest: spun until 1.50')
    assert lines[-1].startswith('stubmon guest: bye at 2.50')
