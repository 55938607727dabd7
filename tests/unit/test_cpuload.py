# CPU% in integer tenths.
from stubmon import cpuload
from stubmon import record as domain


def dom(domid, cpu_time):
    return domain.Domain(domid, 0, 0, 0, cpu_time, 1, 0, 0, bytes(16), 0)


def test_percent_tenths_rounding():
    S = 1000000000
    assert cpuload.percent_tenths(S, S) == 1000            # 100.0 %
    assert cpuload.percent_tenths(S // 2, S) == 500
    assert cpuload.percent_tenths(0, S) == 0
    assert cpuload.percent_tenths(1234, 1000000) == 1      # 0.1234 % -> 0.1
    assert cpuload.percent_tenths(1500, 1000000) == 2      # 0.15 % rounds up
    assert cpuload.percent_tenths(1499, 1000000) == 1
    assert cpuload.percent_tenths(2 * S, S) == 2000        # two busy vCPUs
    assert cpuload.percent_tenths(S, 3 * S) == 333


def test_percent_tenths_no_sense():
    assert cpuload.percent_tenths(5, 0) is None
    assert cpuload.percent_tenths(-5, 100) is None


def test_first_poll_has_no_value():
    c = cpuload.CpuLoad()
    assert c.update([dom(0, 100)], 1000) == {0: None}


def test_second_poll():
    c = cpuload.CpuLoad()
    c.update([dom(0, 0), dom(1, 0)], 0)
    r = c.update([dom(0, 250000000), dom(1, 0), dom(2, 9)], 1000000000)
    assert r == {0: 250, 1: 0, 2: None}


def test_recycled_domid_starts_over():
    c = cpuload.CpuLoad()
    c.update([dom(5, 900)], 0)
    assert c.update([dom(5, 10)], 100) == {5: None}


def test_vanished_domains_forgotten():
    c = cpuload.CpuLoad()
    c.update([dom(1, 0), dom(2, 0)], 0)
    c.update([dom(1, 0)], 10)
    assert c.update([dom(2, 5)], 20) == {2: None}
