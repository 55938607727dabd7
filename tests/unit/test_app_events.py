# SPDX-License-Identifier: MIT
# The monitor's event lines and the pause= test option, end to end against
# the fake hypervisor (which wakes sleep_until early like VIRQ_DOM_EXC).
import xen  # the fake

from stubmon import app
from apprun import run


def events(lines):
    return [l for l in lines if l.startswith('stubmon event ')]


def test_no_events_while_nothing_changes():
    def setup(st):
        xen.add_domain(1, flags=0x10)

    lines, how, st = run('count=3 interval=1 exit=qemu', setup)
    assert events(lines) == [] and how == ('qemu_exit', 0)


def test_pause_and_unpause_a_domain_with_events():
    def setup(st):
        xen.add_domain(1, flags=0x10)
        xen.add_domain(2, flags=0x10)

    lines, how, st = run('count=4 interval=1 pause=2:1:3 exit=qemu', setup)
    assert how == ('qemu_exit', 0)
    i = lines.index('stubmon: paused 2 after poll 1')
    assert lines[i - 1] == 'stubmon poll 1 end'
    assert lines[i + 1] == 'stubmon event 1.000s: domain 2 blocked -> paused'
    j = lines.index('stubmon: unpaused 2 after poll 3')
    assert lines[j + 1] == 'stubmon event 3.000s: domain 2 paused -> blocked'
    assert len(events(lines)) == 2
    # the tables agree
    rows = [l.split() for l in lines if l.startswith('    2 ')]
    assert [r[1] for r in rows] == ['-b----', '-bp---', '-bp---', '-b----']


def test_pause_errors_are_reported_and_run_goes_on():
    lines, how, st = run('count=2 interval=1 pause=9:1:2 exit=qemu')
    assert 'stubmon: pausedomain failed: ESRCH (no such domain)' in lines
    assert 'stubmon: unpausedomain failed: ESRCH (no such domain)' in lines
    assert how == ('qemu_exit', 0)


def test_early_wake_lists_domains_and_prints_events_at_once():
    st = xen.reset(cmdline='count=2 interval=2 exit=qemu')
    xen.add_domain(1, flags=0x10)
    real = xen.sleep_until
    calls = []

    def sleep_until(deadline, events=True):
        calls.append(deadline)
        if len(calls) == 1:
            # half way to the deadline, domain 1 powers off: VIRQ_DOM_EXC
            xen._advance((deadline - st.now) // 2)
            st.domains[1].flags = 0x4
            return True
        return real(deadline, events)

    xen.sleep_until = sleep_until
    lines = []
    try:
        app.Monitor(xen, say=lines.append).run()
    finally:
        xen.sleep_until = real
    ev = events(lines)
    assert ev == ['stubmon event 2.000s: domain 1 blocked -> shutdown (poweroff)'], lines
    # printed between the two tables, and the second poll still on time
    assert lines.index(ev[0]) < lines.index('stubmon poll 2: xen 4.20.4, uptime 3.0s, 2 domains')
    # woken at 2 s; then events wait for the gap (interval / EVENT_LISTINGS
    # = 0.25 s) before it sleeps on to the same deadline
    assert calls == [3000000000, 2250000000, 3000000000]


def test_demo_domains_gone_are_events():
    lines, how, st = run('count=3 interval=1 demo=2 demo_keep=1 exit=qemu')
    ev = events(lines)
    assert ev == [
        'stubmon event 2.000s: domain 1 gone (was paused)',
        'stubmon event 2.000s: domain 2 gone (was paused)',
    ], lines


def test_guest_role_does_not_monitor():
    lines, how, st = run('role=guest run=1 end=reboot')
    assert how == ('shutdown', 1)
    assert st.ncalls == 0


def test_an_event_storm_is_coalesced_and_the_table_stays_on_time():
    # VIRQ_DOM_EXC pending all the time: every sleep with events on wakes
    st = xen.reset(cmdline='count=5 interval=3 stats=1 exit=qemu')
    xen.add_domain(1, flags=0x10)
    st.storm_ns = 1000000  # a domain event every millisecond
    st.tick = 1000000  # each clock read costs 1 ms
    lines = []
    try:
        app.start(xen, say=lines.append)
    except xen.Exited as e:
        assert e.args == ('qemu_exit', 0)
    stats = [
        dict(kv.split('=') for kv in l.split()[2:])
        for l in lines
        if l.startswith('stubmon: stats ')
    ]
    assert [s['poll'] for s in stats] == ['1', '2', '3', '4', '5']
    due0 = int(stats[0]['due_us'])
    for s in stats:
        assert int(s['due_us']) - due0 == (int(s['poll']) - 1) * 3000000, s  # on the grid
        late = int(s['now_us']) - int(s['due_us'])
        assert 0 <= late < 300000, (s['poll'], late)  # within 10 % of the interval
    # the listings of each interval are bounded (counted at the next poll)
    # each interval's listings are bounded: 8 (counted at the next poll)
    assert [int(s['listings']) for s in stats] == [0, 8, 8, 8, 8], stats
    storm = [l for l in lines if l.startswith('stubmon: event storm after poll ')]
    assert len(storm) == 4, storm  # polls 1..4: each interval ran out of listings
    assert storm[0] == (
        'stubmon: event storm after poll 1: 8 event listings in this interval, '
        'the most allowed; later domain events wait for the next poll, which '
        'shows what they changed'
    )
    assert st.storm_wakes == 32  # 8 an interval, not one per event (12000 came)
