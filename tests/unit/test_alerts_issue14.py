# SPDX-License-Identifier: MIT
# Issue 14's alert rules against the fake: stuck:N (CPU time standing
# still N polls, not for a paused domain), hostmem<P, pcpu>P (host-wide),
# and their parsing.
import xen  # the fake

from stubmon import alerts
from apprun import run

ARGS = 'interval=1 count=6 exit=qemu'


def alert_lines(lines):
    return [l for l in lines if l.startswith('stubmon ALERT')]


def test_parse_new_rules():
    assert alerts.parse_rule('stuck:3') == ('stuck:3', 'stuck', 3)
    assert alerts.parse_rule('hostmem<10') == ('hostmem<10', 'hostmem', 100)
    assert alerts.parse_rule('pcpu>90.5') == ('pcpu>90.5', 'pcpu', 905)
    assert alerts.parse_rule('log:domain_crash') == ('log:domain_crash', 'log', 'domain_crash')
    for bad in ('stuck:0', 'stuck:x', 'hostmem<101', 'pcpu>', 'log:', 'hostmem>5'):
        assert alerts.parse_rule(bad) is None, bad


def guests(st):
    st.domains[0].cpu_permille = 10  # the monitor works
    xen.add_domain(1, flags=0x10, vcpus=1, cpu_time=5000)  # blocked for ever
    xen.add_domain(2, flags=0x18, vcpus=1, cpu_time=5000)  # paused
    xen.add_domain(3, flags=0x20, vcpus=1, cpu_permille=100)  # working


def test_stuck_fires_for_a_still_domain_not_a_paused_or_working_one():
    lines, _, _ = run(ARGS + ' alert=stuck:3', guests)
    a = alert_lines(lines)
    assert len(a) == 1, a
    assert ': domain 1 stuck:3 firing (CPU time 0.0s, unchanged for 3 polls, blocked)' in a[0]
    # fired at poll 4 (its CPU time was first seen at poll 1), before its table
    assert (
        lines.index('stubmon poll 3 end') < lines.index(a[0]) < lines.index('stubmon poll 4 end')
    )


def test_stuck_clears_when_cpu_time_moves():
    def setup(st):
        guests(st)
        n = [0]

        def hook(st):
            n[0] += 1
            if n[0] == 4:
                st.domains[1].cpu_time += 1000

        st.sleep_hook = hook

    lines, _, _ = run(ARGS + ' alert=stuck:2', setup)
    a = [l for l in alert_lines(lines) if 'domain 1' in l]
    assert [l.split()[6] for l in a] == ['firing', 'cleared']


def test_hostmem_fires_host_wide():
    def setup(st):
        st.physinfo['free_pages'] = 262144 // 20  # 5 % free

    lines, _, _ = run(ARGS + ' alert=hostmem<10 format=table+json', setup)
    a = alert_lines(lines)
    assert len(a) == 1 and ': host hostmem<10 firing (free 5.0% of 1048576k)' in a[0], a
    js = [l for l in lines if '"type":"alert"' in l]
    assert len(js) == 1 and '"domain":null,"rule":"hostmem<10","status":"firing"' in js[0]


def test_pcpu_fires_per_busy_pcpu():
    lines, _, _ = run(ARGS + ' alert=pcpu>20')  # the fake: pCPU 0 at 25 %, pCPU 1 idle
    a = alert_lines(lines)
    assert len(a) == 1 and ': host pcpu>20 firing (pCPU 0 busy 25.0%)' in a[0], a
