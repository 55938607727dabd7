# SPDX-License-Identifier: MIT
# The whole monitor end to end against the fake hypervisor.
import xen  # the fake

from stubmon import app
from apprun import run


def tables(lines):
    """[[rows of poll 1], [rows of poll 2], ...] split on the table shape."""
    out = []
    cur = None
    for l in lines:
        if l.startswith('stubmon poll ') and l.endswith(' end'):
            out.append(cur)
            cur = None
        elif l.startswith('stubmon poll '):
            cur = []
        elif cur is not None and not l.startswith('   ID') and not l.startswith('stubmon '):
            cur.append(l.split()[:7])  # the xl list columns
    return out


def test_count_2_prints_2_tables_and_exits_qemu():
    lines, how, st = run('count=2 exit=qemu interval=0.5')
    assert lines[0] == 'stubmon: x86_64-pv on xen 4.20.4'
    assert lines[1] == 'stubmon: console xen'
    assert lines[2] == 'stubmon: interfaces sysctl 0x15 domctl 0x17'
    assert lines[3] == 'stubmon: layouts xen 4.20 (x86_64), interfaces sysctl 0x15 domctl 0x17'
    assert lines[4] == 'stubmon: watchdog 30 s'  # 4 intervals, at least 30 s
    assert lines[5] == (
        'stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain '
        '(xen 4.20 has no get_domain_state)'
    )
    assert lines[6] == 'stubmon poll 1: xen 4.20.4, uptime 1.0s, 1 domains'
    assert how == ('qemu_exit', 0)
    # armed; no kick yet: the next is due half the timeout (15 s) after arming
    assert st.watchdog_s == 30 and st.watchdog_kicks == 0
    t = tables(lines)
    assert len(t) == 2
    assert t[0] == [['0', 'r-----', '64', '64', '1', '1.2', '-']]
    assert t[1][0][6] != '-'
    assert 'stubmon poll 2: xen 4.20.4, uptime 1.5s, 1 domains' in lines
    assert lines[-1] == 'stubmon poll 2 end'


def test_default_exit_is_poweroff():
    lines, how, st = run('count=1')
    assert how == ('shutdown', 0)


def test_cpu_percent_between_polls():
    def setup(st):
        st.domains[0].cpu_permille = 250
        xen.add_domain(1, cpu_permille=1000)

    lines, how, st = run('count=3 interval=2', setup)
    t = tables(lines)
    assert [r[6] for r in t[0]] == ['-', '-']
    assert [r[6] for r in t[1]] == ['25.0', '100.0']
    assert [r[6] for r in t[2]] == ['25.0', '100.0']


def test_options_messages_printed_after_banner():
    lines, how, st = run('count=1 foo=1 interval=abc exit=qemu')
    assert lines[1] == (
        "stubmon: unknown option 'foo=1' ignored (known: alert, baud, console, count, "
        "domains, end, format, heap, "
        "interval, pcpus, repl, role, run, sort, spin, stats, vcpus, view, watchdog, xenlog)"
    )
    assert lines[2] == (
        "stubmon: bad value 'interval=abc' (want seconds, e.g. 2 or 0.5, at least 0.1); using 3"
    )
    assert lines[3] == 'stubmon: console xen'
    assert lines[4].startswith('stubmon: interfaces ')


def test_demo_domains_appear_paused_then_go():
    lines, how, st = run(
        'count=4 demo=3 demo_keep=2 demo_mem=32 exit=qemu', version=(4, 17), extraversion=b'.7'
    )
    assert 'stubmon: interfaces sysctl 0x15 domctl 0x15' in lines
    assert (
        'stubmon: demo created 3 of 3 domains, ids 1..3, paused, max memory 32 MiB each' in lines
    )
    t = tables(lines)
    assert len(t) == 4
    for poll in (0, 1):
        assert [r[0] for r in t[poll]] == ['0', '1', '2', '3']
        for r in t[poll][1:]:
            assert r[1] == '--p---' and r[2] == '0' and r[3] == '32' and r[4] == '0', r
    assert [r[0] for r in t[2]] == ['0']
    assert [r[0] for r in t[3]] == ['0']
    gone = lines.index('stubmon: demo destroyed 3 domains')
    assert lines[gone - 1] == 'stubmon poll 2 end'
    assert how == ('qemu_exit', 0)


def test_demo_destroyed_at_exit_if_count_is_shorter():
    lines, how, st = run('count=1 demo=2 demo_keep=5 exit=qemu')
    assert 'stubmon: demo destroyed 2 domains' in lines
    assert list(st.domains) == [0]


def test_demo_keep_0_keeps_them():
    lines, how, st = run('count=3 demo=2 demo_keep=0 exit=qemu')
    assert len(st.domains) == 3
    assert not [l for l in lines if 'destroyed' in l]


def test_demo_create_failure_reported_and_monitor_goes_on():
    def setup(st):
        st.fail = {'createdomain': 1}

    lines, how, st = run('count=1 demo=5 exit=qemu', setup)
    assert (
        'stubmon: createdomain failed: EPERM (only a privileged domain (dom0) can create domains)'
    ) in lines
    assert 'stubmon: demo created 0 of 5 domains' in lines
    assert len(tables(lines)) == 1 and how == ('qemu_exit', 0)


def test_poll_error_printed_once_and_recovery_said():
    st = xen.reset(cmdline='count=5 exit=qemu interval=1')
    st.fail = {'getdomaininfolist': 1}
    lines = []
    m = app.Monitor(xen, say=lines.append)
    # run two polls failing, then heal the fake and run the rest
    orig = m.poll
    calls = []

    def poll(n):
        if n == 3:
            st.fail = {}
        calls.append(n)
        orig(n)

    m.poll = poll
    m.run()
    errs = [l for l in lines if 'getdomaininfolist failed' in l]
    assert len(errs) == 1, lines
    assert errs[0].startswith('stubmon: getdomaininfolist failed: EPERM (this domain is not')
    assert 'stubmon poll 1: xen 4.20.4, uptime 1.0s, ? domains' in lines
    assert 'stubmon: getdomaininfolist works again' in lines
    assert len(tables(lines)) == 5 and calls == [1, 2, 3, 4, 5]


def test_flask_denial_reported_and_polls_continue():
    def setup(st):
        st.flask_deny = True

    lines, how, st = run('count=2 exit=qemu', setup)
    assert lines[2].startswith('stubmon: every sysctl interface version')
    assert 'stubmon: interfaces sysctl ? domctl ?' in lines
    assert len([l for l in lines if 'getdomaininfolist failed: EACCES' in l]) == 1
    assert len(tables(lines)) == 2 and how == ('qemu_exit', 0)


def test_an_exception_in_every_poll_is_reported_and_the_loop_goes_on():
    xen.reset(cmdline='count=5 interval=1')
    lines = []
    m = app.Monitor(xen, say=lines.append)

    def poll(n):
        raise TypeError('boom %d' % n)

    m.poll = poll
    m.run()
    errs = [l for l in lines if l.startswith('stubmon: error in poll ')]
    assert [e.split()[4] for e in errs] == ['1:', '2:', '3:', '4:', '5:'], errs
    assert all('\n' not in e for e in errs)
    i = lines.index(errs[0])
    assert lines[i + 1].startswith('Traceback'), lines[i + 1]
    # after 3 in a row the polls are spaced out, 2, 4, then 8 intervals
    assert (
        'stubmon: 3 errors in a row; backing off: one poll every 2 intervals until one works'
        in lines
    )
    assert (
        'stubmon: 5 errors in a row; backing off: one poll every 8 intervals until one works'
        in lines
    )


def test_polls_recover_after_errors_and_say_so():
    xen.reset(cmdline='count=6 interval=1 exit=qemu stats=1')
    lines = []
    m = app.Monitor(xen, say=lines.append)
    real = m.poll

    def poll(n):
        if n < 5:
            raise KeyError('x')
        real(n)

    m.poll = poll
    m.run()
    assert 'stubmon: poll 5 worked again after 4 errors in a row; back to every interval' in lines
    stats = [l for l in lines if l.startswith('stubmon: stats poll=')]
    assert stats[0].split()[7] == 'errors=4' and stats[-1].split()[2] == 'poll=6'
    # the grid: polls 1..4 at 1, 2, 3, 5 s (back-off 2 after the 3rd,
    # 4 after the 4th), 5 and 6 at 9 and 10 s
    ups = [l.split()[6] for l in lines if l.startswith('stubmon poll ') and ' uptime ' in l]
    assert ups == ['9.0s,', '10.0s,'], ups


def test_fault_raise_at_poll_2_is_reported_in_table_and_json():
    lines, how, st = run('count=3 interval=1 exit=qemu fault=raise:2 format=table+json')
    assert how == ('qemu_exit', 0)
    assert 'stubmon: error in poll 2: RuntimeError: test fault (fault=raise:2)' in lines
    js = [l for l in lines if l.startswith('{"schema":"stubmon/2","type":"error"')]
    assert (
        len(js) == 1
        and '"where":"poll 2","error":"RuntimeError: test fault (fault=raise:2)","errors":1}'
        in js[0]
    )
    assert 'stubmon poll 3 end' in lines


def test_fault_memory_collects_says_the_heap_and_goes_on():
    lines, how, st = run('count=3 interval=1 exit=qemu fault=memory:2')
    assert how == ('qemu_exit', 0)
    oom = [
        l
        for l in lines
        if l.startswith('stubmon: out of memory in poll 2; after a collection the heap has ')
    ]
    assert len(oom) == 1, lines
    assert oom[0].endswith('; going on')
    assert 'stubmon poll 3 end' in lines


def test_watchdog_option_arms_kicks_and_can_be_off():
    lines, how, st = run('count=12 interval=1 watchdog=7 exit=qemu')
    assert 'stubmon: watchdog 7 s' in lines and st.watchdog_s == 7
    # kicked after the polls by which 2.5 s (half the timeout, less the
    # next interval and poll) have passed since the last kick: 3 s apart
    assert st.watchdog_kicks == 3, st.watchdog_kicks
    arm = st.watchdog_at[0]
    assert [t - arm for t in st.watchdog_at] == [0, 3000000000, 6000000000, 9000000000]
    lines, how, st = run('count=1 interval=1 watchdog=0 exit=qemu')
    assert 'stubmon: watchdog off (watchdog=0)' in lines and st.watchdog_s == 0
    lines, how, st = run('count=1 interval=20 exit=qemu')
    assert 'stubmon: watchdog 80 s' in lines  # auto: 4 intervals
    lines, how, st = run('count=1 watchdog=2 exit=qemu')
    assert (
        "stubmon: bad value 'watchdog=2' (want seconds, 5 to 604800, or 0 for off); using auto"
        in lines
    )


def test_watchdog_refused_is_explained_and_the_run_goes_on():
    def setup(st):
        st.fail['watchdog'] = 38  # ENOSYS

    lines, how, st = run('count=1 exit=qemu', setup)
    assert (
        'stubmon: watchdog failed: ENOSYS (this Xen does not implement the call); running without it'
        in lines
    )
    assert how == ('qemu_exit', 0)


def test_a_long_sleep_wakes_to_kick_the_watchdog():
    lines, how, st = run('count=2 interval=60 watchdog=10 exit=qemu')
    # 60 s between polls with a 10 s watchdog: kicked every 5 s meanwhile
    assert st.watchdog_kicks >= 12, st.watchdog_kicks


def test_a_command_line_as_long_as_xen_keeps_is_said_to_be_cut():
    line = 'count=1 exit=qemu ' + 'interval=1 ' * 95
    line = line[:1023]
    xen.cmdline_max = 1023
    try:
        lines, how, st = run(line)
    finally:
        xen.cmdline_max = 0
    assert (
        "stubmon: the command line is 1023 characters, the most Xen passes on: it was probably "
        "cut; the last option read was '%s', anything after it was lost" % line.split()[-1]
    ) in lines


def test_fatal_line_names_the_exception():
    assert app.fatal_line(ValueError('bad thing')) == 'stubmon: fatal error: ValueError: bad thing'
    assert app.fatal_line(KeyError()) in ('stubmon: fatal error: KeyError',)
    assert app.fatal_line(MemoryError()) == 'stubmon: fatal error: MemoryError'


def test_deadlines_do_not_drift():
    st = xen.reset(cmdline='count=4 interval=1 exit=qemu')
    st.tick = 30000000  # each clock read costs 30 ms of "work"
    lines = []
    try:
        app.start(xen, say=lines.append)
    except xen.Exited:
        pass
    ups = [
        l.split('uptime ')[1].split('s,')[0]
        for l in lines
        if l.startswith('stubmon poll ') and not l.endswith(' end')
    ]
    # poll 1 comes after the start-up's clock reads (30 ms each here); from
    # then on each poll is a whole interval after the one before
    tenths = [int(u.replace('.', '')) for u in ups]
    assert len(tenths) == 4 and 10 <= tenths[0] <= 12 and tenths[1] == 20, ups
    assert [b - a for a, b in zip(tenths[1:], tenths[2:])] == [10, 10], ups


def test_fell_behind_skips_ahead_without_burst():
    st = xen.reset(cmdline='count=3 interval=1 exit=qemu')
    lines = []
    m = app.Monitor(xen, say=lines.append)
    orig = m.poll

    def slow_poll(n):
        orig(n)
        if n == 1:
            st.now += 3500000000  # a 3.5 s stall after poll 1

    m.poll = slow_poll
    m.run()
    ups = [
        l.split('uptime ')[1].split('s,')[0]
        for l in lines
        if l.startswith('stubmon poll ') and not l.endswith(' end')
    ]
    assert ups == ['1.0', '5.0', '6.0'], ups


def test_early_wakes_sleep_on_to_the_deadline():
    st = xen.reset(cmdline='count=2 interval=2 exit=qemu')
    st.early_wakes = 3
    lines = []
    m = app.Monitor(xen, say=lines.append)
    m.run()
    assert 'stubmon poll 2: xen 4.20.4, uptime 3.0s, 1 domains' in lines
    assert st.early_wakes == 0


def test_thousand_demo_domains():
    # keeps only a summary of the output: the whole text would not fit the
    # small heap the MicroPython run uses
    st = xen.reset(cmdline='count=3 demo=1000 demo_keep=2 exit=qemu')
    other = []
    rows = []  # per poll: [number of rows, last ID, IDs in order?]

    def say(line):
        if line.startswith('stubmon poll ') and not line.endswith(' end'):
            rows.append([0, -1, True])
        elif line[:1] == ' ' and not line.startswith('   ID'):
            r = rows[-1]
            domid = int(line.split()[0])
            r[0] += 1
            r[2] = r[2] and domid > r[1]
            r[1] = domid
        else:
            other.append(line)

    try:
        app.start(xen, say=say)
        assert False
    except xen.Exited as e:
        assert e.args == ('qemu_exit', 0), other
    assert (
        'stubmon: demo created 1000 of 1000 domains, ids 1..1000, paused, max memory 16 MiB each'
    ) in other
    # view=auto: 1001 rows are more than a 3 s interval carries at 115200
    # baud (157): poll 1 shows the first 157 (every row is new), poll 2 none
    # (nothing changed), and after the destroy dom0 alone fits again
    assert rows == [[157, 156, True], [0, -1, True], [1, 0, True]], rows
    switched = [l for l in other if l.startswith('stubmon: view: ')]
    assert switched == [
        'stubmon: view: 1001 domains are more rows than the console carries (about 157 a poll: '
        'half of a 3 s interval at baud=115200); showing the rows that change (view=changes), '
        'at most 157 a poll; view=all shows every row',
        'stubmon: view: 1 domains fit the console again; showing every row',
    ], other
    views = [l for l in other if l.startswith('stubmon view: ')]
    assert views == [
        'stubmon view: changes: 1001 of 1001 domains changed since the previous poll; '
        'the first 157 by id shown, 844 left out',
        'stubmon view: changes: 0 of 1001 domains changed since the previous poll',
    ], views
    gone = [l for l in other if l.startswith('stubmon event ')]
    assert len(gone) == 157 and gone[0].endswith('domain 1 gone (was paused)'), gone[:3]
    assert (
        'stubmon: events: 843 more domain changes at 7.000s not shown (the console carries '
        'about 157 lines a poll; baud=0 shows every one)'
    ) in other
    assert 'stubmon: demo destroyed 1000 domains' in other
    assert list(st.domains) == [0]


def test_main_module_starts_the_monitor():
    xen.reset(cmdline='count=1 exit=qemu')
    try:
        import main

        assert False, 'importing main must run and end the monitor'
    except xen.Exited as e:
        assert e.args == ('qemu_exit', 0)


def test_stats_line_after_each_table():
    def setup(st):
        st.tick = 1000  # every clock read moves 1 us on
        st.domains[0].cpu_permille = 500

    lines, how, st = run('count=2 interval=1 stats=1', setup)
    stats = [l for l in lines if l.startswith('stubmon: stats ')]
    assert len(stats) == 2
    assert lines[lines.index(stats[0]) - 1] == 'stubmon poll 1 end'
    fields = [dict(kv.split('=') for kv in l.split()[2:]) for l in stats]
    assert [f['poll'] for f in fields] == ['1', '2']
    assert 999000 <= int(fields[1]['now_us']) - int(fields[0]['now_us']) <= 1001000
    assert int(fields[0]['poll_us']) > 0
    assert int(fields[1]['cpu_us']) > int(fields[0]['cpu_us'])


def test_no_stats_line_by_default():
    lines, how, st = run('count=2')
    assert not [l for l in lines if 'stats' in l]


def test_timer_word_is_final_even_if_clock_lags():
    # Xen's timer says the deadline came (sleep_until -> False) while our
    # clock still reads a little earlier: sleep once, never re-arm in a loop.
    st = xen.reset(cmdline='count=2 interval=1 exit=qemu')
    calls = []
    real = xen.sleep_until

    def lagging(deadline):
        calls.append(deadline)
        real(deadline)
        st.now = deadline - 5000  # the guest's clock 5 us behind
        return False

    xen.sleep_until = lagging
    try:
        m = app.Monitor(xen, say=lambda l: None)
        m.run()
    finally:
        xen.sleep_until = real
    assert len(calls) == 1


def test_console_channel_said_once_and_switchable():
    def setup(st):
        st.console_have = ('ring', 'e9')
        st.console_now = ['ring', 'e9']

    lines, how, st = run('count=1 console=e9', setup)
    assert [l for l in lines if l.startswith('stubmon: console')] == ['stubmon: console e9']
    assert st.console_now == ['e9']


def test_console_channel_missing_is_reported():
    lines, how, st = run('count=1 console=ring')
    said = [l for l in lines if l.startswith('stubmon: console')]
    assert said == [
        "stubmon: console 'ring' is not available here; using xen",
        'stubmon: console xen',
    ]
    assert st.console_now == ['xen']


def test_quiet_polls_say_nothing_but_stats():
    lines, how, st = run('count=2 quiet=1 stats=1 exit=qemu')
    assert how == ('qemu_exit', 0)
    assert not [l for l in lines if l.startswith('stubmon poll ') or l.startswith('   ID')]
    assert len([l for l in lines if l.startswith('stubmon: stats poll=')]) == 2, lines


def test_stats_3_says_polls_1_2_and_the_last_only():
    """make bench's CPU a minute: no stats line between poll 2 and the last."""
    lines, how, st = run('count=6 interval=1 quiet=1 stats=3 exit=qemu')
    assert how == ('qemu_exit', 0)
    polls = [int(l.split()[2][5:]) for l in lines if l.startswith('stubmon: stats poll=')]
    assert polls == [1, 2, 6], lines


def test_view_top_in_the_table_and_the_json():
    def busy(st):
        for i in range(1, 6):
            xen.add_domain(i, flags=0x20, tot_pages=64, max_pages=64, cpu_permille=i * 100)

    lines, how, st = run('count=2 view=top:2 format=table+json exit=qemu', busy)
    t = tables(lines)
    # poll 1 has no CPU % yet: the first two by id; poll 2 the two busiest
    assert [r[0] for r in t[0]] == ['0', '1'] and [r[0] for r in t[1]] == ['5', '4'], t
    assert 'stubmon view: top 2 of 6 domains by cpu' in lines
    js = [l for l in lines if l.startswith('{"schema":"stubmon/2","type":"poll"')]
    assert len(js) == 2
    assert (
        '"view":{"mode":"top","sort":"cpu","shown":2,"of":6,"changed":null,'
        '"left_out":0},"domains":[{"id":5,'
    ) in js[1], js[1]
