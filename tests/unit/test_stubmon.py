# SPDX-License-Identifier: MIT
# The stubmon API (monitor/stubmon/__init__.py) and the example scripts
# (examples/watchdog, examples/csvlog) against the fake hypervisor.
import xen  # the fake

import stubmon
import watchdog
import csvlog


def fresh(cmdline='', **kw):
    st = xen.reset(cmdline=cmdline, **kw)
    stubmon.use(None)
    return st


def test_domains_as_info():
    fresh()
    xen.add_domain(3, flags=0x8, tot_pages=256, max_pages=4096, vcpus=2, cpu_time=5)
    xen.add_domain(4, flags=0x4 | (3 << 16), max_pages=0xFFFFFFFFFF)  # crashed, no limit
    ds = stubmon.domains()
    assert [d.domid for d in ds] == [0, 3, 4]
    d0, d3, d4 = ds
    assert d0.state == 'r-----' and d0.status == 'running'
    assert d0.mem_kib == 65536 and d0.max_mem_kib == 65536 and d0.vcpus == 1
    assert d0.cpu_ns == 1200000000
    assert d3.state == '--p---' and d3.status == 'paused'
    assert (d3.mem_kib, d3.max_mem_kib, d3.vcpus, d3.cpu_ns) == (1024, 16384, 2, 5)
    assert d4.state == '---sc-' and d4.status == 'crashed' and d4.max_mem_kib is None


def test_one_domain_or_none():
    fresh()
    xen.add_domain(2, flags=0x10)
    assert stubmon.domain(2).status == 'blocked'
    assert stubmon.domain(9) is None


def test_version_and_physinfo():
    fresh()
    assert stubmon.version() == '4.20.4'
    pi = stubmon.physinfo()
    assert pi.nr_cpus == 2 and pi.cpu_mhz == 2400 and pi.total_kib == 1048576


def test_denied_listing_raises_error_with_explanation():
    st = fresh()
    st.fail['getdomaininfolist'] = 1  # EPERM: a plain domU
    try:
        stubmon.domains()
        assert False, 'must raise'
    except stubmon.Error as e:
        assert e.errno_name() == 'EPERM'
        assert stubmon.explain(e).startswith('stubmon: getdomaininfolist failed: EPERM (')


def test_sleep_advances_xen_time():
    st = fresh()
    t = stubmon.uptime_ns()
    stubmon.sleep(2)
    assert stubmon.uptime_ns() - t == 2000000000
    stubmon.sleep_ms(250)
    assert stubmon.uptime_ns() - t == 2250000000


def test_on_domain_change_runs_in_sleep():
    st = fresh()
    xen.add_domain(1, flags=0x10)
    xen.add_domain(2, flags=0x10)
    seen = []
    f = stubmon.on_domain_change(lambda domid, old, new: seen.append((domid, old, new)))
    assert callable(f)
    stubmon.sleep(1)
    assert seen == []  # nothing changed: the baseline is silent
    st.domains[1].flags = 0x8  # paused (no VIRQ_DOM_EXC: seen at the end)
    del st.domains[2]  # gone
    xen.add_domain(5, flags=0x4)  # appeared, shut down (poweroff)
    stubmon.sleep(1)
    assert seen == [
        (1, 'blocked', 'paused'),
        (5, None, 'shutdown (poweroff)'),
        (2, 'blocked', None),
    ]


def test_early_wake_lists_at_once_and_sleeps_on():
    st = fresh()
    xen.add_domain(1, flags=0x10)
    seen = []
    stubmon.on_domain_change(
        lambda domid, old, new: seen.append((stubmon.uptime_ns(), domid, new))
    )
    t = stubmon.uptime_ns()
    st.early_wakes = 1  # VIRQ_DOM_EXC half way
    st.domains[1].flags = 0x4 | (3 << 16)
    stubmon.sleep(4)
    assert seen == [(t + 2000000000, 1, 'crashed')]  # at the wake, not at the end
    assert stubmon.uptime_ns() == t + 4000000000


def test_args_and_end():
    fresh('interval=2 verbose exit=qemu')
    assert stubmon.args() == {'interval': '2', 'verbose': '', 'exit': 'qemu'}
    try:
        stubmon.end(False)
        assert False
    except xen.Exited as e:
        assert e.args == ('qemu_exit', 1)
    fresh('')
    try:
        stubmon.end()
        assert False
    except xen.Exited as e:
        assert e.args == ('shutdown', 0)


def test_create_demo_pause_destroy():
    fresh()
    ids = stubmon.create_demo(2, mem_mib=8)
    assert ids == [1, 2]
    assert [(d.status, d.max_mem_kib) for d in stubmon.domains()[1:]] == [('paused', 8192)] * 2
    stubmon.unpause(1)
    assert stubmon.domain(1).status != 'paused'
    stubmon.pause(1)
    stubmon.destroy(2)
    assert [d.domid for d in stubmon.domains()] == [0, 1]


def run_script(mod, cmdline, setup=None):
    st = fresh(cmdline)
    if setup:
        setup(st)
    lines = []
    try:
        mod.main(say=lines.append)
        assert False, 'main() must end the guest'
    except xen.Exited as e:
        return lines, e.args, st


def test_watchdog_reports_demo_domains_stuck_after_threshold():
    lines, how, st = run_script(watchdog, 'stuck=3 interval=1 count=6 demo=2 exit=qemu')
    assert how == ('qemu_exit', 0)
    assert lines[0] == 'watchdog: xen 4.20.4; reports domains paused over 3 s, checks every 1 s'
    assert lines[1] == 'watchdog: created 2 paused demo domains: 1 2'
    assert lines[2:4] == [
        'watchdog: domain 1 stuck paused (--p---) for 3s (threshold 3 s)',
        'watchdog: domain 2 stuck paused (--p---) for 3s (threshold 3 s)',
    ]
    assert lines[4:] == ['watchdog: done after 6 checks; 2 domains stuck now']


def test_watchdog_quiet_below_threshold_and_says_when_unpaused():
    calls = []

    def setup(st):
        xen.add_domain(7, flags=0x8)

    st = fresh('stuck=2 interval=1 count=5')
    xen.add_domain(7, flags=0x8)
    lines = []
    w = watchdog.Watchdog(2000, lines.append)
    stubmon.on_domain_change(w.changed)
    w.start(stubmon.domains())
    w.check()
    stubmon.sleep(1)
    w.check()
    assert lines == []
    stubmon.sleep(1)
    w.check()
    w.check()  # said once only
    assert lines == ['watchdog: domain 7 stuck paused (--p---) for 2s (threshold 2 s)']
    st.domains[7].flags = 0x10
    stubmon.sleep(1)
    assert lines[1] == 'watchdog: domain 7 paused -> blocked after 3s paused'
    assert w.check() == 0


def test_watchdog_bad_values_keep_defaults():
    lines, how, st = run_script(watchdog, 'stuck=soon interval=0.01 count=1')
    assert lines[0] == "watchdog: bad value 'stuck=soon' (want seconds, at least 0.1); using 30"
    assert lines[1] == "watchdog: bad value 'interval=0.01' (want seconds, at least 0.1); using 5"
    assert how == ('shutdown', 0)


def test_csvlog_lines_parse_with_columns_and_values():
    lines, how, st = run_script(csvlog, 'interval=2 count=3 demo=2 exit=qemu')
    assert how == ('qemu_exit', 0)
    assert lines[0] == 'time_ms,domid,state,status,mem_kib,max_mem_kib,vcpus,cpu_ns'
    rows = [l.split(',') for l in lines[1:]]
    assert len(rows) == 9 and all(len(r) == 8 for r in rows)
    assert [int(r[0]) for r in rows] == [1000] * 3 + [3000] * 3 + [5000] * 3
    assert [int(r[1]) for r in rows] == [0, 1, 2] * 3
    assert rows[0][2:7] == ['r-----', 'running', '65536', '65536', '1']
    assert rows[1][2:8] == ['--p---', 'paused', '0', '16384', '0', '0']


def test_csvlog_unlimited_memory_is_empty_field():
    def setup(st):
        xen.add_domain(3, max_pages=0xFFFFFFFFFF)

    lines, how, st = run_script(csvlog, 'count=1', setup)
    assert lines[2].split(',')[5] == ''


def test_csvlog_denied_says_why_and_crashes():
    def setup(st):
        st.fail['getdomaininfolist'] = 1

    lines, how, st = run_script(csvlog, 'count=1 exit=qemu restarts=1', setup)
    assert lines[1] == 'csvlog: error in run 1: HypercallError: getdomaininfolist failed: EPERM'
    assert [l for l in lines if l.startswith('stubmon: getdomaininfolist failed: EPERM (')]
    assert 'csvlog: starting again in 1000 ms (1 errors so far)' in lines
    assert 'csvlog: error in run 2: HypercallError: getdomaininfolist failed: EPERM' in lines
    assert lines[-1] == 'csvlog: giving up after 2 runs'
    assert how == ('qemu_exit', 1)


def test_repl_mode_one_table_then_repl_with_stubmon_and_xen():
    from stubmon import app

    st = fresh('repl=1 exit=qemu demo=2 demo_keep=0')
    st.repl_input = ['1+2', 'len(stubmon.domains())', 'x = xen.platform', 'x']
    lines = []
    try:
        app.start(xen, say=lines.append)
        assert False
    except xen.Exited as e:
        assert e.args == ('qemu_exit', 0)
    assert st.repl_calls == 1
    assert st.repl_output == ['3', '3', "'x86_64-pv'"]
    assert len([l for l in lines if l.startswith('stubmon poll ') and l.endswith(' end')]) == 1
    assert lines[-2].startswith('stubmon: repl: the poll loop is off; try stubmon.domains()')
    assert lines[-1] == 'stubmon: repl: ended'


def test_repl_mode_without_console_input_polls_instead():
    from stubmon import app

    st = fresh('repl=1 count=2 exit=qemu')
    lines = []
    try:
        app.start(xen, say=lines.append)
        assert False
    except xen.Exited as e:
        assert e.args == ('qemu_exit', 0)
    assert 'stubmon: repl: this domain has no console input; polling instead' in lines
    assert st.repl_calls == 0
    assert len([l for l in lines if l.startswith('stubmon poll ') and l.endswith(' end')]) == 2


def _ended(script, cmdline='exit=qemu', setup=None):
    st = fresh(cmdline)
    if setup:
        setup(st)
    lines = []
    try:
        stubmon.run(script, 'myscript', say=lines.append)
        assert False, 'run() must end the guest'
    except xen.Exited as e:
        return lines, e.args


def test_run_ends_ok_after_the_script():
    lines, how = _ended(lambda say: say('hello'))
    assert lines == ['hello'] and how == ('qemu_exit', 0)


def test_run_reports_the_traceback_and_starts_the_script_again():
    runs = []

    def script(say):
        runs.append(xen.time_ns())
        if len(runs) < 3:
            raise ValueError('bad input %d' % len(runs))
        say('third run ok')

    lines, how = _ended(script, cmdline='')
    assert how == ('shutdown', 0)  # the third run returned: powered off
    assert lines[0] == 'myscript: error in run 1: ValueError: bad input 1'
    assert lines[1].startswith('Traceback')
    if lines[1].startswith('Traceback (most recent call last)'):  # not unix-core: no StringIO
        assert [l for l in lines if 'in script' in l]  # the frame that raised
    assert 'myscript: starting again in 1000 ms (1 errors so far)' in lines
    assert 'myscript: error in run 2: ValueError: bad input 2' in lines
    assert lines[-1] == 'third run ok'
    # it waited before each restart: Xen time moved on by the wait
    assert runs[1] - runs[0] >= 1000000000 and runs[2] - runs[1] >= 1000000000


def test_run_backs_off_while_the_script_keeps_failing():
    def script(say):
        raise KeyError('x')

    lines, how = _ended(script, cmdline='exit=qemu restarts=5')
    waits = [l for l in lines if 'starting again in' in l]
    assert [w.split()[4] for w in waits] == ['1000', '1000', '2000', '4000', '8000']
    assert (
        'myscript: 3 errors in a row; backing off: one restart every 2 intervals until one works'
        in lines
    )
    assert lines[-1] == 'myscript: giving up after 6 runs'
    assert how == ('qemu_exit', 1)


def test_run_explains_a_hypercall_error():
    def setup(st):
        st.fail['getdomaininfolist'] = 1  # EPERM

    lines, how = _ended(lambda say: stubmon.domains(), cmdline='exit=qemu restarts=0', setup=setup)
    assert lines[0] == 'myscript: error in run 1: HypercallError: getdomaininfolist failed: EPERM'
    assert [
        l for l in lines if l.startswith('stubmon: getdomaininfolist failed: EPERM (this domain')
    ]
    assert how == ('qemu_exit', 1)


def test_a_callback_that_raises_is_reported_and_stays_registered():
    st = fresh('')
    xen.add_domain(4, flags=0x20)
    calls = []
    lines = []
    stubmon.callback_errors.say = lines.append

    def cb(domid, old, new):
        calls.append((domid, old, new))
        raise KeyError(domid)

    stubmon.on_domain_change(cb)
    st.domains[4].flags = 0x28  # paused
    stubmon.check()
    st.domains[4].flags = 0x20
    stubmon.check()
    assert calls == [(4, 'running', 'paused'), (4, 'paused', 'running')]
    errs = [l for l in lines if l.startswith('stubmon: error in on_domain_change callback ')]
    assert len(errs) == 2 and errs[0].endswith('(domain 4): KeyError: 4')
    assert ' cb (domain' in errs[0] or ' fn (domain' in errs[0]  # unix-core: no __name__
    assert [l for l in lines if l.startswith('Traceback')]
