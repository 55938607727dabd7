# SPDX-License-Identifier: MIT
# Issue 7 end to end against the fake hypervisor: the host and domains
# lines (physinfo, and its refusal), format=table|json|table+json,
# domains= and alert= (options and output), destroy=.
import xen  # the fake

from stubmon import app
from stubmon import options
from apprun import run

try:
    import json
except ImportError:
    json = None

CRASH = 0x4 | (3 << 16)  # XEN_DOMINF_shutdown, SHUTDOWN_crash


def jsons(lines, kind=None):
    out = [l for l in lines if l.startswith('{"schema":"stubmon/2",')]
    if kind:
        out = [l for l in out if ('"type":"%s"' % kind) in l]
    return out


# --- options ---------------------------------------------------------------
def test_format_option():
    for v in ('table', 'json', 'table+json'):
        o, msgs = options.parse('format=' + v)
        assert msgs == [] and o.format == v
    o, msgs = options.parse('format=xml')
    assert o.format == 'table'
    assert msgs == ["stubmon: bad value 'format=xml' (want table, json, table+json); using table"]


def test_domains_option():
    o, msgs = options.parse('domains=0,3-7,12')
    assert msgs == [] and o.domains == [(0, 0), (3, 7), (12, 12)]
    assert options.ranges_text(o.domains) == '0,3-7,12'
    assert [d for d in range(15) if options.wanted(o.domains, d)] == [0, 3, 4, 5, 6, 7, 12]
    assert options.wanted(None, 5)
    for bad in ('7-3', 'a', '1,,2', '', '-3', '3-', '99999', '1-2-3'):
        o, msgs = options.parse('domains=' + bad)
        assert o.domains is None, bad
        assert msgs == [
            "stubmon: bad value 'domains=%s' (want domain IDs or ranges, e.g. 0,3-7); "
            "using all" % bad
        ], msgs


def test_alert_option_several_and_joined():
    o, msgs = options.parse('alert=cpu>90 alert=mem>95,crashed alert=gone:5')
    assert msgs == []
    assert [r[0] for r in o.alerts] == ['cpu>90', 'mem>95', 'crashed', 'gone:5']
    o, msgs = options.parse('alert=crashed alert=cpu>lots')
    assert [r[0] for r in o.alerts] == ['crashed']
    assert msgs == [
        "stubmon: bad value 'alert=cpu>lots' (want cpu>P, mem>P, crashed, gone:N, "
        "stuck:N, hostmem<P, pcpu>P or log:TEXT, comma-joined, at most 16); using crashed"
    ]


def test_destroy_option():
    o, msgs = options.parse('destroy=2:5')
    assert msgs == [] and o.test.destroy == (2, 5)
    o, msgs = options.parse('destroy=0:5')
    assert o.test.destroy is None
    assert msgs == [
        "stubmon: bad value 'destroy=0:5' (want DOMID:P, destroy that domain after "
        "poll P); using none"
    ]


# --- host line -----------------------------------------------------------------
def test_host_and_domains_lines_in_each_table():
    lines, how, st = run('count=2 interval=1 exit=qemu')
    i = lines.index('stubmon poll 1: xen 4.20.4, uptime 1.0s, 1 domains')
    assert lines[i + 1] == (
        'stubmon host: Mem: 1048576k total, 524288k used, 524288k free, CPUs: 2 @ 2400MHz'
    )
    assert lines[i + 2] == (
        'stubmon domains: 1 domains: 1 running, 0 blocked, 0 paused, '
        '0 crashed, 0 dying, 0 shutdown'
    )
    assert lines[i + 3].split()[:7] == [
        'ID',
        'State',
        'Mem(MiB)',
        'MaxMem(MiB)',
        'VCPUs',
        'Time(s)',
        'CPU(%)',
    ]
    assert lines[i + 4].split()[7:] == ['6.3', '0', '0', '00000000-0000-0000-0000-000000000000']
    assert len([l for l in lines if l.startswith('stubmon host: ')]) == 2


def test_physinfo_refused_said_once_then_no_host_line():
    for errno, name in ((1, 'EPERM'), (13, 'EACCES')):

        def setup(st):
            st.fail = {'physinfo': errno}

        lines, how, st = run('count=3 interval=1 exit=qemu', setup)
        said = [l for l in lines if 'physinfo' in l]
        assert len(said) == 1 and said[0].startswith('stubmon: physinfo failed: %s (' % name), said
        assert not [l for l in lines if l.startswith('stubmon host:')]
        assert len([l for l in lines if l.startswith('stubmon domains: ')]) == 3
        # not asked again after a refusal (a FLASK denial is logged each time)
        assert len([c for c in st.calls if c[:2] == ('sysctl', 3)]) == 1
        rows = [l for l in lines if l.startswith('    0 ')]
        assert rows and all(r.split()[7] == '-' for r in rows)  # MEM(%) needs the host


def test_physinfo_other_error_retried_and_recovery_said():
    def setup(st):
        st.fail = {'physinfo': 12}  # ENOMEM: transient

    st = xen.reset(cmdline='count=3 interval=1 exit=qemu')
    setup(st)
    lines = []
    m = app.Monitor(xen, say=lines.append)
    orig = m.poll

    def poll(n):
        if n == 2:
            st.fail = {}
        orig(n)

    m.poll = poll
    m.run()
    assert len([l for l in lines if l.startswith('stubmon: physinfo failed: ENOMEM')]) == 1
    assert 'stubmon: physinfo works again' in lines
    assert len([l for l in lines if l.startswith('stubmon host:')]) == 2


def test_unprivileged_domu_gets_neither():
    def setup(st):
        st.fail = {'getdomaininfolist': 1, 'physinfo': 1}

    lines, how, st = run('count=3 interval=1 exit=qemu', setup)
    assert len([l for l in lines if 'physinfo failed: EPERM' in l]) == 1
    assert len([l for l in lines if 'getdomaininfolist failed: EPERM' in l]) == 1
    assert not [
        l for l in lines if l.startswith('stubmon host:') or l.startswith('stubmon domains:')
    ]


# --- formats -----------------------------------------------------------------
def test_format_json_only_json_for_polls_and_events():
    def setup(st):
        xen.add_domain(1, flags=0x10, tot_pages=256, max_pages=512, handle=bytes(range(16)))

    lines, how, st = run('count=3 interval=1 demo=1 demo_keep=1 format=json exit=qemu', setup)
    assert not [
        l
        for l in lines
        if l.startswith('stubmon poll')
        or l.startswith('stubmon event')
        or l.startswith('stubmon host')
        or l.strip().startswith('ID ')
    ]
    polls = jsons(lines, 'poll')
    assert len(polls) == 3
    ev = jsons(lines, 'event')
    assert ev == [
        '{"schema":"stubmon/2","type":"event","uptime_ms":2000,"domain":2,'
        '"event":"gone","from":"paused","to":null}'
    ], ev
    assert '"uuid":"00010203-0405-0607-0809-0a0b0c0d0e0f"' in polls[0]
    assert '"maxmem_k":2048' in polls[0] and '"mem_k":1024' in polls[0]
    if json:
        p = [json.loads(l) for l in polls]
        assert [x['poll'] for x in p] == [1, 2, 3]
        assert [len(x['domains']) for x in p] == [3, 2, 2]
        assert p[0]['host'] == {
            'cpus': 2,
            'cpu_mhz': 2400,
            'mem_total_k': 1048576,
            'mem_used_k': 524288,
            'mem_free_k': 524288,
            'busy_pct_x10': None,
        }
        # the fake's pCPUs are 25 % and 0 % busy: the host's mean from poll 2 on
        assert [x['host']['busy_pct_x10'] for x in p] == [None, 125, 125]
        assert 'pcpus' not in p[1]['host']  # pcpus=1 only
        assert p[0]['summary']['domains'] == 3 and p[0]['summary']['paused'] == 1
        d0 = p[1]['domains'][0]
        assert d0['id'] == 0 and d0['state'] == 'r-----' and d0['cpu_pct_x10'] is not None
        assert d0['mem_k'] == 65536 and d0['mem_pct_x10'] == 63


def test_format_table_and_json_agree():
    def setup(st):
        st.domains[0].cpu_permille = 250
        xen.add_domain(3, flags=0x10, tot_pages=1024, max_pages=2048, ssidref=5, cpupool=1)

    lines, how, st = run('count=2 interval=1 format=table+json exit=qemu', setup)
    polls = jsons(lines, 'poll')
    assert len(polls) == 2
    end = lines.index('stubmon poll 2 end')
    assert lines[end + 1] == polls[1]  # the JSON line follows its table
    rows = [l.split() for l in lines[end - 2 : end]]
    assert rows[0][:7] == ['0', 'r-----', '64', '64', '1', '1.5', '25.0']
    assert rows[1] == [
        '3',
        '-b----',
        '4',
        '8',
        '1',
        '0.0',
        '0.0',
        '0.4',
        '5',
        '1',
        '03030303-0303-0303-0303-030303030303',
    ]
    if json:
        p = json.loads(polls[1])
        assert [
            (
                d['id'],
                d['state'],
                d['mem_k'] // 1024,
                d['maxmem_k'] // 1024,
                d['vcpus'],
                d['cpu_pct_x10'],
                d['mem_pct_x10'],
                d['ssid'],
                d['cpupool'],
            )
            for d in p['domains']
        ] == [(0, 'r-----', 64, 64, 1, 250, 63, 0, 0), (3, '-b----', 4, 8, 1, 0, 4, 5, 1)]


def test_json_unlisted_poll():
    def setup(st):
        st.fail = {'getdomaininfolist': 1, 'physinfo': 1}

    lines, how, st = run('count=2 interval=1 format=json exit=qemu', setup)
    polls = jsons(lines, 'poll')
    assert len(polls) == 2
    assert '"domains":null,"error":"EPERM"' in polls[0]
    assert not [l for l in lines if 'domains not listed' in l]


# --- domains= ----------------------------------------------------------------
def test_domains_filter_rows_events_alerts_not_summary():
    def setup(st):
        for i in range(1, 6):
            xen.add_domain(i, flags=0x10)

    st = xen.reset(cmdline='count=2 interval=1 domains=0,3-4 alert=crashed exit=qemu')
    setup(st)
    lines = []
    m = app.Monitor(xen, say=lines.append)
    orig = m.poll

    def poll(n):
        if n == 2:
            st.domains[2].flags = CRASH  # not shown: no event, no alert
            st.domains[4].flags = CRASH
        orig(n)

    m.poll = poll
    m.run()
    assert 'stubmon poll 1: xen 4.20.4, uptime 1.0s, 3 domains' in lines
    i = lines.index('stubmon poll 2: xen 4.20.4, uptime 2.0s, 3 domains')
    assert lines[i + 2] == (
        'stubmon domains: 6 domains: 1 running, 3 blocked, 0 paused, '
        '2 crashed, 0 dying, 0 shutdown'
    )
    assert [l.split()[0] for l in lines[i + 4 : i + 7]] == ['0', '3', '4']
    assert [l for l in lines if l.startswith('stubmon event')] == [
        'stubmon event 2.000s: domain 4 blocked -> crashed'
    ]
    assert [l for l in lines if 'ALERT' in l] == [
        'stubmon ALERT 2.000s: domain 4 crashed firing (state ---sc-)'
    ]


# --- alerts end to end -------------------------------------------------------
def test_crash_alert_fires_on_the_event_and_clears_when_destroyed():
    """alert=crashed, destroy=ID:P: the crash wakes the monitor (VIRQ_DOM_EXC)
    and fires the alert; destroying the domain clears it; gone:1 fires at the
    next poll. In table+json both the ALERT lines and the JSON objects."""
    st = xen.reset(
        cmdline='count=4 interval=2 alert=crashed alert=gone:1 destroy=1:2 '
        'format=table+json exit=qemu'
    )
    xen.add_domain(1, flags=0x10, handle=bytes(range(16)))
    real = xen.sleep_until
    calls = []

    def sleep_until(deadline, events=True):
        calls.append(deadline)
        if len(calls) == 1:
            xen._advance((deadline - st.now) // 2)
            st.domains[1].flags = CRASH
            return True
        return real(deadline, events)

    xen.sleep_until = sleep_until
    lines = []
    try:
        app.Monitor(xen, say=lines.append).run()
    finally:
        xen.sleep_until = real
    alerts = [l for l in lines if l.startswith('stubmon ALERT')]
    assert alerts == [
        'stubmon ALERT 2.000s: domain 1 crashed firing (state ---sc-)',
        'stubmon ALERT 3.000s: domain 1 crashed cleared (gone)',
        'stubmon ALERT 5.000s: domain 1 gone:1 firing (missing from 1 poll, was crashed)',
    ], lines
    i = lines.index('stubmon: destroyed 1 after poll 2')
    assert lines[i + 1] == 'stubmon event 3.000s: domain 1 gone (was crashed)'
    assert jsons(lines, 'alert')[0] == (
        '{"schema":"stubmon/2","type":"alert","uptime_ms":2000,"domain":1,"rule":"crashed",'
        '"status":"firing","detail":"state ---sc-"}'
    )
    assert len(jsons(lines, 'alert')) == 3 and len(jsons(lines, 'event')) == 2


def test_cpu_alert_fires_and_clears():
    st = xen.reset(cmdline='count=4 interval=1 alert=cpu>50 exit=qemu')
    d = xen.add_domain(1, flags=0x20, cpu_permille=900)
    lines = []
    m = app.Monitor(xen, say=lines.append)
    orig = m.poll

    def poll(n):
        if n == 3:
            d.cpu_permille = 100
        orig(n)

    m.poll = poll
    m.run()
    assert [l for l in lines if 'ALERT' in l] == [
        'stubmon ALERT 2.000s: domain 1 cpu>50 firing (CPU 90.0%)',
        'stubmon ALERT 4.000s: domain 1 cpu>50 cleared (CPU 10.0%)',
    ]


def test_destroy_refused_reported():
    def setup(st):
        st.fail = {'destroydomain': 1}
        xen.add_domain(2)

    lines, how, st = run('count=2 interval=1 destroy=2:1 exit=qemu', setup)
    assert 'stubmon: destroydomain failed: EPERM (not privileged to destroy domains)' in lines
    assert how == ('qemu_exit', 0)
