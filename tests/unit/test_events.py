# SPDX-License-Identifier: MIT
# Domain events: baseline silent, then appeared / state change / gone.
import xen  # the fake (for FakeDomain-like records)

from stubmon import record as dommod
from stubmon import events

import recs

RUNNING, BLOCKED, PAUSED, SHUTDOWN, DYING = 0x20, 0x10, 0x8, 0x4, 0x1


def dom(domid, flags):
    return recs.dom(domid, flags)


def shut(reason):
    return SHUTDOWN | (reason << 16)


def test_state_names():
    assert dommod.state_name(RUNNING) == 'running'
    assert dommod.state_name(0) == 'running'  # runnable, waiting for a CPU
    assert dommod.state_name(BLOCKED) == 'blocked'
    assert dommod.state_name(PAUSED | BLOCKED) == 'paused'
    assert dommod.state_name(shut(0)) == 'shutdown (poweroff)'
    assert dommod.state_name(shut(1)) == 'shutdown (reboot)'
    assert dommod.state_name(shut(3)) == 'crashed'
    assert dommod.state_name(shut(3) | PAUSED) == 'crashed'
    assert dommod.state_name(shut(9)) == 'shutdown (reason 9)'
    assert dommod.state_name(shut(0) | DYING) == 'dying'


def test_stamp():
    assert events.stamp(0) == '0.000'
    assert events.stamp(12345678901) == '12.345'
    assert events.stamp(1000000) == '0.001'


def test_baseline_is_silent_then_changes_in_domid_order():
    t = events.Tracker()
    assert t.update([dom(0, RUNNING), dom(1, BLOCKED), dom(2, BLOCKED)], 1000000000) == []
    assert t.update([dom(0, RUNNING), dom(1, BLOCKED), dom(2, BLOCKED)], 2000000000) == []
    lines = t.update(
        [dom(0, RUNNING), dom(2, shut(3)), dom(1, shut(0)), dom(5, PAUSED)], 2500000000
    )
    assert lines == [
        'stubmon event 2.500s: domain 1 blocked -> shutdown (poweroff)',
        'stubmon event 2.500s: domain 2 blocked -> crashed',
        'stubmon event 2.500s: domain 5 appeared (paused)',
    ]
    lines = t.update([dom(0, RUNNING), dom(1, shut(0) | DYING)], 3000000000)
    assert lines == [
        'stubmon event 3.000s: domain 1 shutdown (poweroff) -> dying',
        'stubmon event 3.000s: domain 2 gone (was crashed)',
        'stubmon event 3.000s: domain 5 gone (was paused)',
    ]
    assert t.update([dom(0, RUNNING)], 4000000000) == [
        'stubmon event 4.000s: domain 1 gone (was dying)'
    ]


def test_running_and_runnable_are_one_state():
    t = events.Tracker()
    t.update([dom(1, RUNNING)], 0)
    assert t.update([dom(1, 0)], 1) == []


def test_thousand_domains_share_state_strings():
    t = events.Tracker()
    doms = [dom(i, shut(0)) for i in range(1000)]
    t.update(doms, 0)
    names = list(t.known.values())
    assert all(n is names[0] for n in names)


def test_changed_records_only_and_gone_found_by_count():
    t = events.Tracker()
    a = [dom(0, flags=RUNNING), dom(1, flags=PAUSED), dom(2, flags=RUNNING)]
    assert t.update(a, 1000000000) == []  # the baseline
    b = [dom(0, flags=RUNNING), dom(1, flags=RUNNING), dom(2, flags=RUNNING)]
    # only the records said to have changed are compared
    assert t.update(b, 2000000000, [b[1]]) == ['stubmon event 2.000s: domain 1 paused -> running']
    assert t.update(b, 3000000000, []) == []
    c = [b[0], b[2], dom(5, flags=PAUSED)]
    assert t.update(c, 4000000000, [c[2]]) == [
        'stubmon event 4.000s: domain 5 appeared (paused)',
        'stubmon event 4.000s: domain 1 gone (was running)',
    ]
    assert t.size() == 3
