# SPDX-License-Identifier: MIT
# The release differences the monitor handles (docs/releases.md), against
# the fake hypervisor's model of each release: createdomain's "any domid"
# (0 up to 4.21, DOMID_ANY from 4.22), VIRQ_DOM_EXC refused with EBUSY
# outside its handler (4.21+), and get_domain_state naming the domains that
# changed on an early wake (4.21+). Portable: CPython and MicroPython.
import xen  # the fake

from stubmon import app
from stubmon import hypercalls as hv
from apprun import run

EBUSY_LINE = (
    'stubmon: events: binding VIRQ_DOM_EXC failed: EBUSY (from xen 4.21 only the '
    'domain Xen sends domain changes to may bind it); domain changes are seen at the '
    'polls, no early wake'
)
STATE_LINE = (
    'stubmon: events: VIRQ_DOM_EXC wakes a read of the domains that changed '
    '(get_domain_state), not a listing of all'
)
LIST_LINE = 'stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain (xen %d.%d has no get_domain_state)'


def events(lines):
    return [l for l in lines if l.startswith('stubmon event ')]


def created_domids(st):
    return [c for c in st.calls if c[:2] == ('domctl', 1)]


def test_demo_works_on_every_release():
    for v in ((4, 17), (4, 20), (4, 21), (4, 22)):
        lines, how, st = run('count=2 interval=1 demo=3 demo_keep=1 exit=qemu', version=v)
        assert how == ('qemu_exit', 0), (v, lines)
        assert (
            'stubmon: demo created 3 of 3 domains, ids 1..3, paused, max memory 16 MiB each'
            in lines
        ), (v, lines)
        assert not [l for l in lines if 'EEXIST' in l], (v, lines)


def test_any_domid_is_domid_any_from_4_22():
    for v, want in (((4, 17), 0), ((4, 20), 0), ((4, 21), 0), ((4, 22), 0x7FF5)):
        xen.reset(version=v)
        h = hv.Hypervisor(xen)
        h.probe()
        assert h.any_domid() == want, v
    assert hv.DOMID_ANY == xen.DOMID_ANY


def test_asking_for_domid_0_on_4_22_is_eexist():
    # what the monitor did before: 4.22 takes 0 literally, and dom0 exists
    st = xen.reset(version=(4, 22))
    h = hv.Hypervisor(xen)
    h.probe()
    h.any_domid = lambda: 0
    try:
        h.create_empty_domain(16)
        assert False, 'createdomain with domid 0 must fail on 4.22'
    except hv.HypercallError as e:
        assert e.errno_name() == 'EEXIST'
    assert sorted(st.domains) == [0]


def test_ebusy_bind_is_said_once_and_polls_go_on():
    def setup(st):
        st.dom_exc_rc = -16  # a 4.21+ domain that is not VIRQ_DOM_EXC's handler

    lines, how, st = run('count=3 interval=1 exit=qemu', setup, version=(4, 21))
    assert how == ('qemu_exit', 0)
    assert lines.count(EBUSY_LINE) == 1, lines
    assert len([l for l in lines if l.startswith('stubmon: events:')]) == 1
    assert len([l for l in lines if l.startswith('stubmon poll ') and l.endswith(' end')]) == 3
    # nothing asked of get_domain_state by a domain that may not
    assert not [c for c in st.calls if c[:2] == ('domctl', 90)]


def test_other_bind_errors_are_named():
    def setup(st):
        st.dom_exc_rc = -1

    lines, how, st = run('count=1 exit=qemu', setup, version=(4, 20))
    assert (
        'stubmon: events: binding VIRQ_DOM_EXC failed: EPERM; domain changes are seen at '
        'the polls, no early wake'
    ) in lines


def test_which_event_path_is_said_per_release():
    for v, line in (
        ((4, 17), LIST_LINE % (4, 17)),
        ((4, 20), LIST_LINE % (4, 20)),
        ((4, 21), STATE_LINE),
        ((4, 22), STATE_LINE),
    ):
        lines, how, st = run('count=1 exit=qemu', version=v)
        said = [l for l in lines if l.startswith('stubmon: events:')]
        assert said == [line], (v, said)
        if v < (4, 21):
            assert not [c for c in st.calls if c[:2] == ('domctl', 90)]


def test_refused_get_domain_state_falls_back_to_listings():
    def setup(st):
        st.fail = {'get_domain_state': 13}

    lines, how, st = run('count=1 exit=qemu', setup, version=(4, 21))
    assert (
        'stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain (get_domain_state '
        'refused: EACCES)'
    ) in lines


def early_wake_run(version, change):
    """count=2 interval=2: half way to poll 2 VIRQ_DOM_EXC wakes the
    monitor after change(st) ran. Returns (lines, the hypercalls made by
    the event listing, st)."""
    st = xen.reset(version=version, cmdline='count=2 interval=2 exit=qemu')
    xen.add_domain(1, flags=0x10)
    xen.add_domain(2, flags=0x10)
    xen.add_domain(3, flags=0x10)
    real = (xen.sleep_until, xen.sysctl, xen.domctl)
    mark = []
    calls = []  # (sysctl|domctl, cmd, version) made by the event listing

    def sleep_until(deadline, events=True):
        if not mark:
            xen._advance((deadline - st.now) // 2)
            change(st)
            mark.append(1)
            return True
        if len(mark) == 1:
            mark.append(2)  # the listing is done: it sleeps on
        return real[0](deadline, events)

    def spy(kind, call):
        def f(buf, *records):
            if len(mark) == 1 and (len(calls) < 16 or kind == 'sysctl'):
                calls.append((kind, buf[0], buf[4]))  # cmd, version (both < 256)
            return call(buf, *records)

        return f

    xen.sleep_until, xen.sysctl, xen.domctl = (
        sleep_until,
        spy('sysctl', real[1]),
        spy('domctl', real[2]),
    )
    lines = []
    try:
        app.Monitor(xen, say=lines.append).run()
    finally:
        xen.sleep_until, xen.sysctl, xen.domctl = real
    return lines, calls, st


def shutdown_2(st):
    st.domains[2].flags = 0x4 | (0 << 16)  # powered off
    xen.changed(2)


def gone_3(st):
    del st.domains[3]
    xen.changed(3)


def test_early_wake_reads_only_the_changed_domain_on_4_21():
    for v in ((4, 21), (4, 22)):
        lines, calls, st = early_wake_run(v, shutdown_2)
        assert events(lines) == [
            'stubmon event 2.000s: domain 2 blocked -> shutdown (poweroff)'
        ], lines
        # get_domain_state until ENOENT, then getdomaininfo of domain 2 only;
        # no getdomaininfolist in between
        assert ('sysctl', 6) not in [c[:2] for c in calls], calls
        assert [c[:2] for c in calls] == [('domctl', 90), ('domctl', 90), ('domctl', 5)], calls
        assert calls[0][2] == 0  # the stable interface version


def test_early_wake_sees_a_domain_gone_on_4_21():
    lines, calls, st = early_wake_run((4, 21), gone_3)
    assert events(lines) == ['stubmon event 2.000s: domain 3 gone (was blocked)'], lines
    assert ('sysctl', 6) not in [c[:2] for c in calls]
    # the next poll's table agrees
    assert 'stubmon poll 2: xen 4.21.4, uptime 3.0s, 3 domains' in lines


def test_early_wake_lists_every_domain_before_4_21():
    lines, calls, st = early_wake_run((4, 20), shutdown_2)
    assert events(lines) == ['stubmon event 2.000s: domain 2 blocked -> shutdown (poweroff)'], (
        lines
    )
    assert [c[:2] for c in calls] == [('sysctl', 6)], calls


def test_many_changes_fall_back_to_a_listing():
    def many(st):
        for d in range(4, 4 + hv.STATE_CHANGES_MAX + 1):
            st.changed.add(d)  # more than one wake reads: list them all

    lines, calls, st = early_wake_run((4, 21), many)
    assert ('sysctl', 6) in [c[:2] for c in calls]
