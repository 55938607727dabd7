# SPDX-License-Identifier: MIT
# Rows of docs/faults.md, each with its fault set up against the fake
# hypervisor (a hypercall of the fake that fails, or a fault= test option
# of testopts.py), end to end through app.start: a failure at start-up
# (the interface probe, a demo domain), a failure before the first poll
# (fatal), an error in an event listing, more vanished domains than gone:N
# remembers. The same faults on real Xen: tests/boot/test_faults.py,
# tests/boot/test_fault_rows.py.
import xen  # the fake

from stubmon import abi
from apprun import run

MAX_MISSING = 1024  # vanished domains gone:N remembers (docs/faults.md, alerts.py)


def tables(lines):
    """{poll: [row ids]} of each table."""
    out, cur = {}, None
    for l in lines:
        if l.startswith('stubmon poll ') and l.endswith(' end'):
            cur = None
        elif l.startswith('stubmon poll ') and ' uptime ' in l:
            cur = out[int(l.split()[2][:-1])] = []
        elif cur is not None and l[:1] == ' ' and l.split()[0].isdigit():
            cur.append(int(l.split()[0]))
    return out


def stats(lines):
    return [
        dict([kv.split('=') for kv in l.split()[2:]])
        for l in lines
        if l.startswith('stubmon: stats poll=')
    ]


def traceback_names(lines, i, where):
    """lines[i + 1:] is a traceback through `where` (a unix-core
    MicroPython build says it has none: 'Traceback: not available')."""
    assert lines[i + 1].startswith('Traceback'), lines[i : i + 4]
    if lines[i + 1] == 'Traceback: not available (print_exception wrote nothing here)':
        return
    assert lines[i + 1] == 'Traceback (most recent call last):', lines[i : i + 4]
    assert [l for l in lines[i + 1 : i + 10] if where in l], lines[i : i + 10]


def errors_json(lines):
    return [l for l in lines if l.startswith('{"schema":"stubmon/2","type":"error"')]


def test_a_failure_creating_demo_domains_is_said_counted_and_the_polls_go_on():
    lines, how, st = run(
        'count=2 interval=1 demo=3 demo_keep=0 fault=demo:2 stats=1 format=table+json exit=qemu'
    )
    assert how == ('qemu_exit', 0)
    i = lines.index('stubmon: error in demo: RuntimeError: test fault (fault=demo:2)')
    traceback_names(lines, i, 'create_demo')
    js = errors_json(lines)
    assert len(js) == 1 and '"where":"demo"' in js[0], js
    assert [s['errors'] for s in stats(lines)] == ['1', '1']
    # the one made before the failure is there, paused; polls go on
    assert sorted(st.domains) == [0, 1]
    assert tables(lines) == {1: [0, 1], 2: [0, 1]}
    assert not [l for l in lines if l.startswith('stubmon: demo created')]


def test_a_failed_interface_probe_is_said_counted_and_the_polls_say_not_listed():
    real = xen.sysctl
    calls = []

    def sysctl(buf, records=None):
        calls.append(1)
        if len(calls) == 1:  # the probe's first try: a bug, not an errno
            raise ValueError('sysctl: a fault of the fake')
        return real(buf, records)

    xen.sysctl = sysctl
    try:
        lines, how, st = run('count=2 interval=1 stats=1 exit=qemu')
    finally:
        xen.sysctl = real
    assert how == ('qemu_exit', 0)
    i = lines.index(
        'stubmon: error in the interface probe: ValueError: sysctl: a fault of the fake'
    )
    traceback_names(lines, i, 'probe')
    assert 'stubmon: interfaces sysctl ? domctl ?' in lines
    # no interface version: each poll says what it can, no table
    heads = [l for l in lines if l.startswith('stubmon poll ') and ' uptime ' in l]
    assert [h.split(',')[-1] for h in heads] == [' ? domains', ' ? domains'], heads
    assert [s['errors'] for s in stats(lines)] == ['1', '1']


def test_no_xen_version_is_fatal_said_with_its_traceback_and_the_domain_crashes():
    real = xen.xen_version

    def xen_version(cmd, buf=None):
        raise OSError(38)

    xen.xen_version = xen_version
    try:
        lines, how, st = run('count=2 exit=qemu')
    finally:
        xen.xen_version = real
    # nothing read yet, not even exit=qemu: the domain crashes
    assert how == ('shutdown', abi.SHUTDOWN_crash), how
    assert lines[0].startswith('stubmon: fatal error: OSError'), lines
    assert lines[1].startswith('Traceback'), lines
    assert not [l for l in lines if l.startswith('stubmon poll ')]


def test_fault_fatal_ends_the_run_before_the_first_poll():
    lines, how, st = run('count=3 interval=1 fault=fatal:1')
    assert how == ('shutdown', abi.SHUTDOWN_crash), how
    i = lines.index('stubmon: fatal error: RuntimeError: test fault (fault=fatal:1)')
    traceback_names(lines, i, 'start')
    assert lines[-1] in (
        'RuntimeError: test fault (fault=fatal:1)',
        'Traceback: not available (print_exception wrote nothing here)',
    ), lines[i:]
    assert not [l for l in lines if l.startswith('stubmon poll ')]
    lines, how, st = run('count=3 interval=1 fault=fatal:1 exit=qemu')
    assert how == ('qemu_exit', 1)


def test_an_error_in_an_event_listing_is_said_counted_and_the_sleep_goes_on():
    def setup(st):
        st.early_wakes = 1  # VIRQ_DOM_EXC during the sleep after poll 1

    lines, how, st = run(
        'count=3 interval=1 demo=1 demo_keep=1 fault=listing:1 stats=1 '
        'format=table+json exit=qemu',
        setup,
    )
    assert how == ('qemu_exit', 0)
    said = (
        'stubmon: error in event listing after poll 1: RuntimeError: test fault (fault=listing:1)'
    )
    i = lines.index(said)
    assert (
        lines.index('stubmon poll 1 end')
        < i
        < lines.index('stubmon poll 2: xen 4.20.4, uptime 2.0s, 1 domains')
    )
    traceback_names(lines, i, 'check_events')
    js = errors_json(lines)
    assert len(js) == 1 and '"where":"event listing after poll 1"' in js[0], js
    st_ = stats(lines)
    assert [s['errors'] for s in st_] == ['0', '1', '1']
    # the sleep went on to its deadline: polls on the grid, the change the
    # failed listing missed shown by poll 2, once; later listings work
    assert [int(s['now_us']) - int(s['due_us']) for s in st_] == [0, 0, 0]
    ev = [l for l in lines if l.startswith('stubmon event ')]
    assert ev == ['stubmon event 2.000s: domain 1 gone (was paused)'], ev


def test_fault_vanish_forgets_past_the_bound_of_gone():
    n = MAX_MISSING + 8  # what fault=vanish:P makes
    real = xen.add_domain

    def add_domain(domid, **kw):
        # as on real Xen: the monitor creates its domains with a zero
        # handle (UUID), so gone:N knows them by ID (alerts.ident); the
        # fake's own handles repeat every 256 IDs
        kw['handle'] = bytes(16)
        return real(domid, **kw)

    xen.add_domain = add_domain
    try:
        lines, how, st = run('count=3 interval=1 fault=vanish:1 alert=gone:5 exit=qemu')
    finally:
        xen.add_domain = real
    assert how == ('qemu_exit', 0)
    made = [l for l in lines if l.startswith('stubmon: test fault: made ')]
    assert made == [
        'stubmon: test fault: made %d of %d domains, ids 1..%d to vanish after poll 1 '
        '(fault=vanish:1)' % (n, n, n)
    ], made
    assert 'stubmon: test fault: destroyed %d domains after poll 1 (fault=vanish:1)' % n in lines
    said = [l for l in lines if l.startswith('stubmon: alert gone:')]
    assert said == [
        'stubmon: alert gone: more than %d vanished domains; forgot the 8 that vanished '
        'first (8 forgotten since start), their gone: alerts too' % MAX_MISSING
    ], said
    assert list(st.domains) == [0]
