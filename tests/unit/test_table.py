# SPDX-License-Identifier: MIT
# The poll table's exact text.
from stubmon import abi
from stubmon import record as domain
from stubmon import table
from stubmon.snapshot import Snapshot

import recs


def dom(domid, flags, tot, maxp, cpu_ns, vcpus=1):
    return recs.dom(domid, flags, tot, maxp, cpu_ns, vcpus)


def counts(every):
    return None if every is None else table.summary(recs.at_poll(every))


def poll(n, version, uptime, doms, cpu, host=None, every=None):
    """One poll's table, the records carrying cpu (and MEM % from host)."""
    return list(
        table.format_poll(
            Snapshot(n, version, uptime, recs.at_poll(doms, cpu, host), host, counts(every))
        )
    )


HEADER = '   ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%) MEM(%) SSID Pool UUID'
ZERO_UUID = '00000000-0000-0000-0000-000000000000'
SUMMARY2 = (
    'stubmon domains: 2 domains: 1 running, 0 blocked, 1 paused, 0 crashed, 0 dying, 0 shutdown'
)


def test_small_poll_exact():
    doms = [
        dom(1, abi.DOMINF_paused, 0, 4096, 0, 0),
        dom(0, abi.DOMINF_running, 16384, 0xFFFFFFFF, 1250000000),
    ]
    lines = poll(3, '4.20.4', 12345000000, doms, {0: 125, 1: None})
    assert lines == [
        'stubmon poll 3: xen 4.20.4, uptime 12.3s, 2 domains',
        SUMMARY2,
        HEADER,
        '    0 r-----          64           -     1      1.3   12.5      -    0    0 ' + ZERO_UUID,
        '    1 --p---           0          16     0      0.0      -      -    0    0 ' + ZERO_UUID,
        'stubmon poll 3 end',
    ], lines


def test_header_columns_line_up_with_rows():
    lines = poll(1, '4.17.7', 0, [dom(0, abi.DOMINF_blocked, 1, 2, 3)], {0: None})
    header, row = lines[2], lines[3]
    assert header == HEADER
    assert len(row) == len(header) + 32  # UUID: a left-aligned title
    assert row.find(ZERO_UUID) == header.find('UUID')
    # every right-aligned title ends where its value ends
    for title in (
        'ID',
        'Mem(MiB)',
        'MaxMem(MiB)',
        'VCPUs',
        'Time(s)',
        'CPU(%)',
        'MEM(%)',
        'SSID',
        'Pool',
    ):
        end = header.find(title) + len(title)
        assert row[end - 1] != ' ' and (end == len(row) or row[end] == ' '), title


def test_wide_values_widen_whole_column():
    doms = [dom(0, 0, 2**45, 2**36, 10**15, 100000), dom(32000, 0, 1, 1, 0, 1)]
    lines = poll(1, 'x', 0, doms, {0: 123456789, 32000: 0})
    rows = lines[3:5]
    assert len(set([len(r) for r in rows])) == 1, rows  # all the same width
    assert lines[2].find('UUID') == rows[0].find(ZERO_UUID)
    for r in rows:
        assert len(r.split()) == 11, r
    assert lines[3].split()[2] == str(2**45 >> 8)
    assert lines[3].split()[5] == '1000000.0'
    assert lines[3].split()[6] == '12345678.9'


def test_sorted_by_id():
    doms = [dom(i, 0, 0, 0, 0) for i in (5, 0, 300, 2)]
    lines = poll(1, 'x', 0, doms, {})
    assert [int(l.split()[0]) for l in lines[3:-1]] == [0, 2, 5, 300]


def test_unreadable_list():
    lines = poll(2, '4.20.4', 100000000, None, {})
    assert lines == [
        'stubmon poll 2: xen 4.20.4, uptime 0.1s, ? domains',
        'stubmon domains: 0 domains: 0 running, 0 blocked, 0 paused, 0 crashed, '
        '0 dying, 0 shutdown',
        HEADER,
        'stubmon poll 2 end',
    ]


def test_seconds_text_rounds_half_up():
    assert table.ns_to_seconds_text(0) == '0.0'
    assert table.ns_to_seconds_text(49999999) == '0.0'
    assert table.ns_to_seconds_text(50000000) == '0.1'
    assert table.ns_to_seconds_text(59950000000) == '60.0'
    assert table.tenths_text(7) == '0.7'


class Host:
    """What table.py reads of a hypervisor.PhysInfo."""

    nr_cpus = 4
    cpu_mhz = 2399
    total_kib = 1048576
    free_kib = 262144


def full_dom(domid, flags, tot, maxp, ssid=0, pool=0, handle=None):
    return recs.dom(domid, flags, tot, maxp, ssid=ssid, pool=pool, handle=handle)


def test_host_line_mem_percent_ssid_pool_uuid():
    handle = bytes(range(0xA0, 0xB0))
    doms = [
        full_dom(0, abi.DOMINF_running, 16384, 16384),
        full_dom(7, abi.DOMINF_blocked, 4096, 8192, ssid=12, pool=3, handle=handle),
    ]
    lines = poll(1, '4.17.7', 0, doms, {}, Host())
    assert (
        lines[1]
        == 'stubmon host: Mem: 1048576k total, 786432k used, 262144k free, CPUs: 4 @ 2399MHz'
    )
    assert lines[2] == (
        'stubmon domains: 2 domains: 1 running, 1 blocked, 0 paused, 0 crashed, '
        '0 dying, 0 shutdown'
    )
    assert lines[3] == HEADER
    assert lines[4].split()[7:] == ['6.3', '0', '0', ZERO_UUID]  # 64 MiB of 1 GiB
    assert lines[5].split()[7:] == ['1.6', '12', '3', 'a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf']
    assert table.uuid_text(handle) == 'a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf'


def test_summary_counts_each_domain_once():
    sd = abi.DOMINF_shutdown
    doms = [
        full_dom(0, abi.DOMINF_running, 1, 1),
        full_dom(1, abi.DOMINF_blocked, 1, 1),
        full_dom(2, abi.DOMINF_paused | abi.DOMINF_blocked, 1, 1),
        full_dom(3, sd | (abi.SHUTDOWN_crash << abi.DOMINF_shutdownshift), 1, 1),
        full_dom(4, sd | (abi.SHUTDOWN_reboot << abi.DOMINF_shutdownshift), 1, 1),
        full_dom(5, sd | abi.DOMINF_dying, 1, 1),
        full_dom(6, sd, 1, 1),
    ]
    c = table.summary(doms)
    assert (
        c['domains'],
        c['running'],
        c['blocked'],
        c['paused'],
        c['crashed'],
        c['dying'],
        c['shutdown'],
    ) == (7, 1, 1, 1, 1, 1, 2)
    assert table.summary_line(c) == (
        'stubmon domains: 7 domains: 1 running, 1 blocked, 1 paused, '
        '1 crashed, 1 dying, 2 shutdown'
    )


def test_filtered_rows_full_summary():
    every = [full_dom(i, abi.DOMINF_blocked, 1, 1) for i in range(5)]
    lines = poll(1, 'x', 0, every[1:3], {}, None, every)
    assert lines[0] == 'stubmon poll 1: xen x, uptime 0.0s, 2 domains'
    assert lines[1].startswith('stubmon domains: 5 domains: 0 running, 5 blocked')
    assert [l.split()[0] for l in lines[3:-1]] == ['1', '2']


def test_view_line_after_the_summary_and_rows_in_the_views_order():
    every = [full_dom(i, abi.DOMINF_blocked, 1, 1) for i in range(5)]
    counts = table.summary(every)
    rows = recs.at_poll([every[3], every[1]])  # as view=top sorted them
    lines = list(
        table.format_poll(
            Snapshot(
                2, 'x', 0, rows, counts=counts, view_line='stubmon view: top 2 of 5 domains by cpu'
            )
        )
    )
    assert lines[0] == 'stubmon poll 2: xen x, uptime 0.0s, 2 domains'
    assert lines[1].startswith('stubmon domains: 5 domains: 0 running, 5 blocked')
    assert lines[2] == 'stubmon view: top 2 of 5 domains by cpu'
    assert lines[3] == HEADER
    assert [l.split()[0] for l in lines[4:-1]] == ['3', '1']  # not put back in ID order
