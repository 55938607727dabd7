# SPDX-License-Identifier: MIT
# What make bench reads from the monitor: raw=1 (a raw C listing's time
# and count at the end of each stats line) and the boot stamps line after
# poll 1 (stats=1). Behaviour only, against the fake hypervisor.
import xen  # the fake

from apprun import run


def stats_lines(lines):
    return [l for l in lines if l.startswith('stubmon: stats ')]


def boot_lines(lines):
    return [l for l in lines if l.startswith('stubmon: boot ')]


def fields(line):
    out = {}
    for word in line.split():
        k, eq, v = word.partition('=')
        if eq:
            out[k] = v
    return out


def test_raw_counts_every_domain_at_every_poll():
    def setup(st):
        for d in range(1, 6):
            xen.add_domain(d)

    lines, how, st = run('count=3 interval=1 stats=1 raw=1 exit=qemu', setup)
    assert how == ('qemu_exit', 0)
    s = stats_lines(lines)
    assert len(s) == 3
    for line in s:
        assert line.endswith(' raw_us=1 raw_domains=6'), line
    assert st.raw_calls == 3


def test_raw_lists_in_batches_with_the_layout_in_force():
    # 150 domains: three getdomaininfolist batches of 64, as list_domains
    def setup(st):
        for d in range(1, 150):
            xen.add_domain(d)

    lines, how, st = run('count=1 stats=1 raw=1 exit=qemu', setup)
    assert fields(stats_lines(lines)[0])['raw_domains'] == '150'
    # x86_64 4.20: xen_sysctl payload at +8; first_domain, max_domains,
    # buffer, num_domains at 0, 4, 8, 16 in it; 112-byte records, domid first
    assert st.raw_layouts[0] == (8, 12, 24, 16, 64, 112, 0, 0x7FF0)


def test_raw_on_arm64_takes_its_record_size():
    lines, how, st = run('count=1 stats=1 raw=1 exit=qemu', arch_name='aarch64')
    assert fields(stats_lines(lines)[0])['raw_domains'] == '1'
    assert st.raw_layouts[0][5] == 120


def test_raw_refused_says_question_marks_and_the_poll_goes_on():
    def setup(st):
        st.fail['getdomaininfolist'] = 1  # EPERM, for list_raw and the poll alike

    lines, how, st = run('count=1 stats=1 raw=1 exit=qemu', setup)
    assert stats_lines(lines)[0].endswith(' raw_us=? raw_domains=?')
    assert how == ('qemu_exit', 0)


def test_without_raw_the_stats_line_is_unchanged():
    lines, how, st = run('count=2 stats=1 exit=qemu')
    for line in stats_lines(lines):
        assert 'raw_' not in line
    assert st.raw_calls == 0


def test_raw_does_not_count_in_poll_us():
    # the fake's clock moves 1 ms on every time_ns(): list_raw reads none
    def setup(st):
        st.tick = 1000000

    lines, how, st = run('count=1 stats=1 exit=qemu', setup)
    without = int(fields(stats_lines(lines)[0])['poll_us'])
    lines, how, st = run('count=1 stats=1 raw=1 exit=qemu', setup)
    assert int(fields(stats_lines(lines)[0])['poll_us']) == without


def test_boot_line_once_after_poll_1_in_order():
    def setup(st):
        xen.add_domain(1)

    lines, how, st = run('count=3 stats=1 exit=qemu', setup)
    b = boot_lines(lines)
    assert len(b) == 1
    i = lines.index(b[0])
    assert lines[i - 1].startswith('stubmon: stats poll=1 ')
    f = fields(b[0])
    assert f['entry_us'] == '500000' and f['first_line_us'] == '510000'
    now = int(fields(lines[i - 1])['now_us'])
    assert int(f['first_line_us']) <= now <= int(f['first_row_us'])


def test_first_row_is_stamped_after_the_first_row_not_the_table():
    def setup(st):
        st.tick = 1000000  # each time_ns() 1 ms later
        for d in range(1, 4):
            xen.add_domain(d)

    lines, how, st = run('count=1 stats=1 exit=qemu', setup)
    row = int(fields(boot_lines(lines)[0])['first_row_us'])
    now = int(fields(stats_lines(lines)[0])['now_us'])
    # stamped once: between the poll's start and its stats line's reading
    assert now < row < now + 10000


def test_no_boot_line_without_stats():
    lines, how, st = run('count=2 exit=qemu')
    assert boot_lines(lines) == []


def test_boot_line_with_json_only():
    lines, how, st = run('count=1 stats=1 format=json exit=qemu')
    assert len(boot_lines(lines)) == 1
