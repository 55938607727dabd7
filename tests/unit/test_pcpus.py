# SPDX-License-Identifier: MIT
# Issue 14, physical CPUs: XEN_SYSCTL_getcpuinfo's idle time turned into
# busy % per pCPU and for the host (pcpus.py), the host line's `busy`,
# pcpus=1's lines and JSON, and a refusal said once.
import xen  # the fake

from stubmon import pcpus
from apprun import run

try:
    import json
except ImportError:
    json = None

ARGS = 'interval=1 count=3 exit=qemu'


def host_lines(lines):
    return [l for l in lines if l.startswith('stubmon host:')]


def test_busy_is_the_wall_time_not_spent_idle():
    assert pcpus.busy_tenths(750, 1000) == 250
    assert pcpus.busy_tenths(0, 1000) == 1000
    assert pcpus.busy_tenths(1001, 1000) == 0  # read a moment apart: clamped
    assert pcpus.busy_tenths(5, 0) is None


def test_pcpus_first_reading_unknown_then_mean():
    p = pcpus.PCpus()
    assert p.update(1000, [100, 200]) is None and p.busy == [None, None]
    # 1000 ns later: pCPU 0 idle 900 of them (10 % busy), pCPU 1 idle 300 (70 %)
    assert p.update(2000, [1000, 500]) == 400
    assert p.busy == [100, 700]
    assert p.rows() == [(0, 100, 1000), (1, 700, 500)]
    # a pCPU more (hotplug): that reading starts afresh
    assert p.update(3000, [1, 2, 3]) is None and p.busy == [None, None, None]


def test_host_line_gains_busy_from_the_second_poll():
    lines, _, st = run(ARGS)
    h = host_lines(lines)
    assert len(h) == 3
    assert h[0].endswith('CPUs: 2 @ 2400MHz')  # nothing to compare with yet
    # the fake's two pCPUs are 25 % and 0 % busy
    assert h[1].endswith('CPUs: 2 @ 2400MHz, busy 12.5%') and h[2] == h[1]
    assert not [l for l in lines if l.startswith('stubmon pcpu')]  # pcpus=1 only


def test_busy_follows_the_load():
    def setup(st):
        st.pcpu_busy = [1000, 1000]

    lines, _, _ = run(ARGS, setup)
    assert host_lines(lines)[1].endswith(', busy 100.0%')


def test_pcpus_lines_under_the_host_line():
    lines, _, _ = run(ARGS + ' pcpus=1')
    i = lines.index(host_lines(lines)[1])
    assert lines[i + 1].startswith('stubmon pcpu 0: busy 25.0%, idle ')
    assert lines[i + 2].startswith('stubmon pcpu 1: busy 0.0%, idle ')
    assert lines[i + 3].startswith('stubmon domains:')
    first = lines.index(host_lines(lines)[0])
    assert lines[first + 1].startswith('stubmon pcpu 0: busy -%')
    # idle seconds grow with the wall time (pCPU 1 is never busy)
    idle = [
        int(l.split('idle ')[1][:-1].replace('.', ''))
        for l in lines
        if l.startswith('stubmon pcpu 1:')
    ]
    assert idle[0] < idle[1] < idle[2]


def test_pcpus_json():
    lines, _, _ = run(ARGS + ' pcpus=1 format=json')
    polls = [l for l in lines if '"type":"poll"' in l]
    assert '"busy_pct_x10":125,"pcpus":[{"cpu":0,"busy_pct_x10":250,"idle_ns":' in polls[1]
    assert '"busy_pct_x10":null,"pcpus":[{"cpu":0,"busy_pct_x10":null,' in polls[0]
    if json:
        cpus = json.loads(polls[2])['host']['pcpus']
        assert [c['cpu'] for c in cpus] == [0, 1] and cpus[1]['busy_pct_x10'] == 0


def test_getcpuinfo_refused_said_once_rest_goes_on():
    def setup(st):
        st.fail['getcpuinfo'] = 13  # EACCES, as FLASK without `xen getcpuinfo`

    lines, how, st = run(ARGS + ' pcpus=1', setup)
    said = [l for l in lines if 'getcpuinfo' in l]
    assert len(said) == 1 and 'EACCES' in said[0] and 'xen getcpuinfo' in said[0], said
    assert [c for c in st.calls if c[:2] == ('sysctl', 8)] == [('sysctl', 8, st.sysctl_version)]
    h = host_lines(lines)
    assert len(h) == 3 and not [l for l in h if 'busy' in l]
    assert len([l for l in lines if l.startswith('stubmon poll') and l.endswith('end')]) == 3
    assert how == ('qemu_exit', 0)


def test_console_parser_reads_the_host_line_with_and_without_busy():
    try:
        from stubmon_exporter import consolelog
    except ImportError:
        return  # MicroPython: the exporter is CPython's
    base = 'stubmon host: Mem: 1048576k total, 524288k used, 524288k free, CPUs: 2 @ 2400MHz'
    for line, busy in ((base, None), (base + ', busy 12.5%', 125), (base + ', busy 100.0%', 1000)):
        p = consolelog.polls(
            ['stubmon poll 1: xen 4.20.4, uptime 1.0s, 0 domains', line, 'stubmon poll 1 end']
        )[0]
        assert p.host == {
            'total_k': 1048576,
            'used_k': 524288,
            'free_k': 524288,
            'cpus': 2,
            'mhz': 2400,
            'busy': busy,
        }
