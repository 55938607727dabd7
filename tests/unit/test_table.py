# The poll table's exact text.
import abi
import domain
import table


def dom(domid, flags, tot, maxp, cpu_ns, vcpus=1):
    return domain.Domain(domid, flags, tot, maxp, cpu_ns, vcpus, vcpus - 1, 0, bytes(16), 0)


def poll(*args):
    return list(table.format_poll(*args))


HEADER = '   ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%)'


def test_small_poll_exact():
    doms = [dom(1, abi.DOMINF_paused, 0, 4096, 0, 0),
            dom(0, abi.DOMINF_running, 16384, 0xffffffff, 1250000000)]
    lines = poll(3, '4.20.4', 12345000000, doms, {0: 125, 1: None})
    assert lines == [
        'stubmon poll 3: xen 4.20.4, uptime 12.3s, 2 domains',
        HEADER,
        '    0 r-----          64           -     1      1.3   12.5',
        '    1 --p---           0          16     0      0.0      -',
        'stubmon poll 3 end',
    ], lines


def test_header_columns_line_up_with_rows():
    lines = poll(1, '4.17.7', 0, [dom(0, abi.DOMINF_blocked, 1, 2, 3)], {0: None})
    header, row = lines[1], lines[2]
    assert header == HEADER
    assert len(row) == len(header)
    # every right-aligned title ends where its value ends
    for title in ('ID', 'Mem(MiB)', 'MaxMem(MiB)', 'VCPUs', 'Time(s)', 'CPU(%)'):
        end = header.find(title) + len(title)
        assert row[end - 1] != ' ' and (end == len(row) or row[end] == ' '), title


def test_wide_values_widen_whole_column():
    doms = [dom(0, 0, 2 ** 45, 2 ** 36, 10 ** 15, 100000),
            dom(32000, 0, 1, 1, 0, 1)]
    lines = poll(1, 'x', 0, doms, {0: 123456789, 32000: 0})
    rows = lines[1:4]
    assert len(set([len(r) for r in rows])) == 1, rows   # all the same width
    for r in rows:
        assert len(r.split()) == 7, r
    assert lines[2].split()[2] == str(2 ** 45 >> 8)
    assert lines[2].split()[5] == '1000000.0'
    assert lines[2].split()[6] == '12345678.9'


def test_sorted_by_id():
    doms = [dom(i, 0, 0, 0, 0) for i in (5, 0, 300, 2)]
    lines = poll(1, 'x', 0, doms, {})
    assert [int(l.split()[0]) for l in lines[2:-1]] == [0, 2, 5, 300]


def test_unreadable_list():
    lines = poll(2, '4.20.4', 100000000, None, {})
    assert lines == ['stubmon poll 2: xen 4.20.4, uptime 0.1s, ? domains', HEADER,
                     'stubmon poll 2 end']


def test_seconds_text_rounds_half_up():
    assert table.ns_to_seconds_text(0) == '0.0'
    assert table.ns_to_seconds_text(49999999) == '0.0'
    assert table.ns_to_seconds_text(50000000) == '0.1'
    assert table.ns_to_seconds_text(59950000000) == '60.0'
    assert table.tenths_text(7) == '0.7'
