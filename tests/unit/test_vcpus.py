# SPDX-License-Identifier: MIT
# Issue 14, virtual CPUs: vcpus=1 reads XEN_DOMCTL_getvcpuinfo for each
# shown domain's vCPUs: lines under its row, JSON's vcpu_list, CPU % from
# the previous poll, a refusal said once (the table goes on).
import xen  # the fake

from apprun import run

try:
    import json
except ImportError:
    json = None

ARGS = 'interval=1 count=3 exit=qemu vcpus=1'


def two_guests(st):
    # a busy 2-vCPU domain (vCPU 1 never brought up) and a blocked one
    xen.add_domain(1, flags=0x20, tot_pages=256, max_pages=256, vcpus=1, cpu_permille=500)
    d = st.domains[1]
    d.max_vcpu_id = 1
    xen.add_domain(2, flags=0x10, tot_pages=256, max_pages=256, vcpus=1)


def lines_after(lines, text):
    """The vcpu lines right after the row starting with text, each poll."""
    out = []
    for i, l in enumerate(lines):
        if l.split()[:2] == text.split():
            j, got = i + 1, []
            while lines[j].startswith('stubmon vcpu'):
                got.append(lines[j])
                j += 1
            out.append(got)
    return out


def test_vcpu_lines_under_each_row():
    lines, how, _ = run(ARGS, two_guests)
    d1 = lines_after(lines, '1 r-----')
    assert len(d1) == 3
    assert d1[0][0].startswith('stubmon vcpu 1.0: running, pcpu 0, time ') and d1[0][0].endswith(
        ', cpu -%'
    )  # no previous poll yet
    assert d1[1][0].endswith(', cpu 50.0%')  # cpu_permille=500
    assert d1[1][1] == 'stubmon vcpu 1.1: offline, pcpu 1, time 0.0s, cpu 0.0%'
    d2 = lines_after(lines, '2 -b----')
    assert [len(x) for x in d2] == [1, 1, 1] and d2[2][0].startswith('stubmon vcpu 2.0: blocked,')
    assert how == ('qemu_exit', 0)


def test_no_vcpu_lines_without_the_option():
    lines, _, st = run('interval=1 count=2 exit=qemu', two_guests)
    assert not [l for l in lines if l.startswith('stubmon vcpu')]
    assert not [c for c in st.calls if c[:2] == ('domctl', 14)]


def test_vcpus_json():
    lines, _, _ = run(ARGS + ' format=json', two_guests)
    polls = [l for l in lines if '"type":"poll"' in l]
    assert (
        '"vcpu_list":[{"vcpu":0,"online":true,"running":true,"blocked":false,"cpu_ns":' in polls[1]
    )
    if json:
        doms = dict((d['id'], d) for d in json.loads(polls[1])['domains'])
        assert [v['vcpu'] for v in doms[1]['vcpu_list']] == [0, 1]
        assert doms[1]['vcpu_list'][0]['cpu_pct_x10'] == 500
        assert doms[1]['vcpu_list'][1]['online'] is False
        assert doms[2]['vcpu_list'][0]['blocked'] is True
    # after every stubmon/1 key (the domain's text ends with it)
    assert '-020202020202","vcpu_list":[{"vcpu":0,' in polls[1]


def test_getvcpuinfo_refused_said_once_rest_goes_on():
    def setup(st):
        two_guests(st)
        st.fail['getvcpuinfo'] = 13

    lines, how, st = run(ARGS, setup)
    said = [l for l in lines if 'getvcpuinfo' in l]
    assert len(said) == 1 and 'EACCES' in said[0] and 'domain getvcpuinfo' in said[0], said
    assert len([c for c in st.calls if c[:2] == ('domctl', 14)]) == 1  # not asked again
    assert not [l for l in lines if l.startswith('stubmon vcpu')]
    assert len([l for l in lines if l.startswith('stubmon poll') and l.endswith('end')]) == 3
