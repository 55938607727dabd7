# SPDX-License-Identifier: MIT
# Issue 14, Xen's own log: xenlog.py reads XEN_SYSCTL_readconsole from the
# index last read (no line twice, none skipped unsaid when the ring
# wrapped), takes Xen's lines only; xenlog=1 forwards them, alert=log:TEXT
# fires once per matching line; a refusal is said once. What the ring held
# at start (a restarted monitor: what Xen logged while it was down) is read
# once, marked as logged before the start.
from stubmon import render
import xen  # the fake

from stubmon import hypercalls
from stubmon import app
from stubmon import xenlog
from apprun import run

try:
    import json
except ImportError:
    json = None

ARGS = 'interval=1 count=4 exit=qemu'


def hyp():
    h = hypercalls.Hypervisor(xen)
    h.probe()
    return h


def test_only_xens_own_lines():
    assert xenlog.is_xen_line(b'(XEN) Domain 2 crashed')
    assert xenlog.is_xen_line(b'(XEN) [    3.1] domain_crash called from x.c')
    assert not xenlog.is_xen_line(b'(XEN) [    3.1] (d2) stubmon guest: bye')
    assert not xenlog.is_xen_line(b'(d2) stubmon guest: bye')
    assert not xenlog.is_xen_line(b'stubmon xenlog: (XEN) Domain 2 crashed')  # our own, as dom0


def test_from_now_on_never_twice_partial_kept():
    xen.reset()
    xen.xen_log('(XEN) old line from boot\n(d1) a guest at boot\n')
    h, log = hyp(), xenlog.XenLog()
    assert log.start(h) == (
        len('(XEN) old line from boot\n(d1) a guest at boot\n'),
        ['old line from boot'],
    )
    assert log.read(h) == ([], 0)
    xen.xen_log('(XEN) one\n(d1) a guest\n(XEN) tw')
    assert log.read(h) == (['one'], 0)
    xen.xen_log('o\n')
    assert log.read(h) == (['two'], 0)
    assert log.read(h) == ([], 0)


def test_wrapped_ring_counts_the_lost_bytes():
    xen.reset()
    h, log = hyp(), xenlog.XenLog()
    log.start(h)
    xen.xen_log('(XEN) seen\n')
    assert log.read(h) == (['seen'], 0)
    filler = ''.join(['(XEN) filler line %04d\n' % i for i in range(60)])  # 1380 bytes
    xen.xen_log(filler + '(XEN) last\n')
    lines, lost = log.read(h)
    total = len(filler) + len('(XEN) last\n')
    assert lost == total - 1024  # the fake's ring holds 1024 bytes
    assert lines[-1] == 'last'
    # the first line it kept is whole (a fragment is dropped), none twice
    assert lines[0].startswith('filler line ') and len(lines[0]) == 16
    assert len(set(lines)) == len(lines)
    assert log.lost == lost


def xen_prints(at_sleep):
    """A setup printing Xen lines at the given sleeps (1 = after poll 1)."""

    def setup(st):
        seen = [0]

        def hook(st):
            seen[0] += 1
            for line in at_sleep.get(seen[0], ()):
                xen.xen_log(line + '\n')

        st.sleep_hook = hook
        xen.xen_log('(XEN) from boot: shown as older\n')

    return setup


def test_the_backlog_shown_fits_a_quarter_of_a_console_ring():
    # Xen's boot lines of 55 characters once its (XEN) goes: each shown one
    # is 109 bytes with its marks and newline; 512 bytes take 4 of the 14
    def setup(st):
        for i in range(14):
            xen.xen_log('(XEN) boot line %02d %s\n' % (i, 'x' * 42))

    lines, _, _ = run(ARGS + ' xenlog=1', setup)
    shown = [l for l in lines if l.startswith('stubmon xenlog: (logged before')]
    assert len(shown) == 4 and shown[-1].endswith('boot line 13 ' + 'x' * 42), shown
    assert sum([len(l) + 1 for l in shown]) <= app.BACKLOG_BYTES
    said = [l for l in lines if l.startswith("stubmon: xenlog: reading Xen's log")]
    assert said and 'lines were read for alert=log: and 4 are shown' in said[0], said
    assert 'stubmon poll 1: ' in '\n'.join(lines)


def test_many_log_alerts_on_the_backlog_are_counted_and_the_last_said():
    def setup(st):
        for i in range(10):
            xen.xen_log('(XEN) Watchdog timer fired for domain %d\n' % i)

    lines, _, _ = run(ARGS + ' alert=log:Watchdog', setup)
    said = [l for l in lines if l.startswith('stubmon: alert: ')]
    assert said == [
        'stubmon: alert: 10 log: firings on lines logged before this monitor started; '
        'the last 4 follow'
    ], lines
    fired = [l for l in lines if ' host log:Watchdog firing ' in l]
    assert len(fired) == 4 and fired[-1].endswith('for domain 9)'), fired
    assert lines.index(said[0]) < lines.index(fired[0])


def test_xenlog_forwards_and_log_alert_fires_once_per_line():
    setup = xen_prints(
        {
            1: ['(XEN) domain_crash called from traps.c:123', '(d3) guest chatter'],
            2: ['(XEN) Domain 3 (vcpu#0) crashed', '(XEN) domain_crash called again'],
        }
    )
    lines, how, _ = run(ARGS + ' xenlog=1 alert=log:domain_crash', setup)
    fwd = [l for l in lines if l.startswith('stubmon xenlog:')]
    assert fwd == [
        'stubmon xenlog: (logged before this monitor started) from boot: shown as older',
        'stubmon xenlog: domain_crash called from traps.c:123',
        'stubmon xenlog: Domain 3 (vcpu#0) crashed',
        'stubmon xenlog: domain_crash called again',
    ]
    alerts = [l for l in lines if 'ALERT' in l]
    assert len(alerts) == 2 and all(
        ': host log:domain_crash firing (domain_crash' in a for a in alerts
    ), alerts
    # before poll 2's table: the line came between polls 1 and 2
    assert lines.index(fwd[1]) < lines.index(
        [l for l in lines if l.startswith('stubmon poll 2:')][0]
    )
    said = [l for l in lines if l.startswith('stubmon: xenlog:')]
    assert (
        len(said) == 1
        and 'of the %d bytes before it, 1 lines were read'
        % len('(XEN) from boot: shown as older\n')
        in said[0]
    ), said
    assert how == ('qemu_exit', 0)


def test_log_alert_without_xenlog_forwards_nothing():
    setup = xen_prints({1: ['(XEN) MCE: bank 3']})
    lines, _, _ = run(ARGS + ' alert=log:MCE', setup)
    assert not [l for l in lines if l.startswith('stubmon xenlog:')]
    assert len([l for l in lines if 'host log:MCE firing (MCE: bank 3)' in l]) == 1


def test_xenlog_json():
    setup = xen_prints({1: ['(XEN) hello "quoted"']})
    lines, _, _ = run(ARGS + ' xenlog=1 format=json', setup)
    logs = [l for l in lines if '"type":"log"' in l]
    assert len(logs) == 2 and logs[1].startswith('{"schema":"stubmon/2","type":"log","uptime_ms":')
    assert logs[0].endswith(',"line":"from boot: shown as older","lost":0,"earlier":true}')
    assert logs[1].endswith(',"line":"hello \\"quoted\\"","lost":0}')


def test_lost_bytes_said():
    setup = xen_prints({1: ['(XEN) filler %04d' % i for i in range(80)]})
    lines, _, _ = run(ARGS + ' xenlog=1', setup)
    said = [l for l in lines if 'lost' in l]
    assert (
        len(said) == 1
        and said[0].startswith("stubmon: xenlog: ")
        and "bytes of Xen's log lost" in said[0]
    )


def test_readconsole_refused_said_once_rest_goes_on():
    def setup(st):
        st.fail['readconsole'] = 13

    lines, how, st = run(ARGS + ' xenlog=1 alert=log:x', setup)
    said = [l for l in lines if 'readconsole' in l]
    assert len(said) == 1 and 'EACCES' in said[0] and 'xen readconsole' in said[0]
    assert len([c for c in st.calls if c[:2] == ('sysctl', 1)]) == 1
    assert len([l for l in lines if l.startswith('stubmon poll') and l.endswith('end')]) == 4
    assert how == ('qemu_exit', 0)


def test_json_never_carries_a_foreign_line_mark():
    # '(XEN) ' and '(dN) ' mark a foreign line cutting ours (consolelog.json_lines)
    from stubmon import jsonout

    line = jsonout.log_line(1000000, '(XEN) [ 5.1] (d12) x (dx) (d) (XEN)', 0)
    assert '(XEN) ' not in line and '(d12) ' not in line
    assert '(dx) (d) (XEN)"' in line
    if json:
        assert json.loads(line)['line'] == '(XEN) [ 5.1] (d12) x (dx) (d) (XEN)'


def restarted(st):
    # what Xen logged while the monitor was down, before this start
    xen.xen_log('(XEN) [ 30.1] Watchdog timer fired for domain 4\n(d5) guest line\n')


def test_a_restarted_monitor_alerts_on_what_xen_logged_while_it_was_down():
    lines, _, _ = run(ARGS + ' alert=log:Watchdog', restarted)
    a = [l for l in lines if 'ALERT' in l]
    assert len(a) == 1, a
    assert a[0].endswith(
        ': host log:Watchdog firing (%s[ 30.1] Watchdog timer fired for domain 4)' % render.EARLIER
    ), a
    # said at start, before poll 1
    assert lines.index(a[0]) < lines.index(
        [l for l in lines if l.startswith('stubmon poll 1:')][0]
    )
    assert not [l for l in lines if l.startswith('stubmon xenlog:')]  # xenlog=1 not asked


def test_earlier_lines_and_their_alerts_are_marked_in_json():
    lines, _, _ = run(ARGS + ' format=json xenlog=1 alert=log:Watchdog', restarted)
    logs = [json.loads(l) for l in lines if '"type":"log"' in l] if json else []
    alerts = [json.loads(l) for l in lines if '"type":"alert"' in l] if json else []
    if json:
        assert [(o['line'], o.get('earlier')) for o in logs] == [
            ('[ 30.1] Watchdog timer fired for domain 4', True)
        ]
        assert [(o['rule'], o['status'], o.get('earlier')) for o in alerts] == [
            ('log:Watchdog', 'firing', True)
        ]


def test_the_backlog_shown_is_bounded():
    def many(st):
        for i in range(60):
            xen.xen_log('(XEN) b%02d\n' % i)

    lines, _, _ = run(ARGS + ' xenlog=1', many)
    fwd = [l for l in lines if l.startswith('stubmon xenlog:')]
    # each shown line is 57 bytes with its marks and newline: 8 fit 512
    assert len(fwd) == 8 and fwd[0].endswith('b52') and fwd[-1].endswith('b59'), fwd
    assert (
        sum([len(l) + 1 for l in fwd]) <= app.BACKLOG_BYTES < sum([len(l) + 1 for l in fwd]) + 57
    )
