# SPDX-License-Identifier: MIT
# The one domain record: decoded in one step per release, with its derived
# fields (state letters, state name, CPU % and MEM %) computed once.
import xen  # the fake

from stubmon import abi
from stubmon import record as domain


LAY = abi.Abi((4, 20), 'x86_64')


def record(figures=None, **kw):
    xen.reset()
    d = xen.add_domain(7, **kw)
    buf = bytearray(LAY.DI_SIZE + 8)
    xen._record(buf, 8, d)  # at an offset, as in a getdomaininfolist batch
    return domain.decode(LAY, buf, 8, figures)


def test_decode_fields():
    h = bytes(range(16))
    d = record(
        flags=0x20,
        tot_pages=4096,
        max_pages=8192,
        cpu_time=123456789,
        vcpus=2,
        ssidref=5,
        handle=h,
        cpupool=3,
    )
    assert d.domid == 7
    assert d.flags == 0x20
    assert d.tot_pages == 4096 and d.max_pages == 8192
    assert d.cpu_time == 123456789
    assert d.nr_online_vcpus == 2 and d.max_vcpu_id == 1
    assert d.ssidref == 5 and d.handle == h and d.cpupool == 3
    assert d.state == 'r-----' and d.status == 'running'
    assert d.cpu_pct is None and d.mem_pct is None  # not at a poll


def test_one_format_per_release_covers_the_record():
    import struct

    for rel in ((4, 17), (4, 20)):
        for arch in ('x86_64', 'aarch64'):
            lay = abi.Abi(rel, arch)
            assert struct.calcsize(lay.DI_FORMAT) == lay.DI_SIZE, (rel, arch, lay.DI_FORMAT)
            assert lay.DI_FORMAT.count('s') == 1 and lay.DI_FORMAT.startswith('<H')


def test_zero_handles_share_one_object():
    a, b = record(handle=bytes(16)), record(handle=bytes(16))
    assert a.handle is b.handle is domain.ZERO_HANDLE


def test_derived_names_are_shared_per_flags_value():
    a = domain.make(1, abi.DOMINF_paused, 0, 0, 0, 0, 0, 0, bytes(16), 0)
    b = domain.make(2, abi.DOMINF_paused, 0, 0, 0, 0, 0, 0, bytes(16), 0)
    assert a.state == '--p---' and a.status == 'paused'
    assert a.state is b.state and a.status is b.status


def test_decode_no_vcpus():
    d = record(vcpus=0)
    assert d.nr_online_vcpus == 0 and d.max_vcpu_id == domain.MAX_VCPU_ID_NONE


def test_decode_aarch64_record_size():
    xen.reset(arch_name='aarch64')
    xen.add_domain(3, tot_pages=1)
    xen.add_domain(4, tot_pages=2)
    lay = abi.Abi((4, 20), 'aarch64')
    size = lay.DI_SIZE
    buf = bytearray(2 * size)
    xen._record(buf, 0, xen.st.domains[3])
    xen._record(buf, size, xen.st.domains[4])
    assert domain.decode(lay, buf, size).domid == 4
    assert domain.decode(lay, buf, size).tot_pages == 2


def shut(reason):
    return abi.DOMINF_shutdown | (reason << 16)


def test_state_running_blocked_paused():
    assert domain.state(abi.DOMINF_running) == 'r-----'
    assert domain.state(abi.DOMINF_blocked) == '-b----'
    assert domain.state(abi.DOMINF_paused) == '--p---'
    assert domain.state(0) == '------'
    assert domain.state(abi.DOMINF_paused | abi.DOMINF_blocked) == '-bp---'


def test_state_every_shutdown_reason():
    want = {0: '---s--', 1: '---sr-', 2: '---ss-', 3: '---sc-', 4: '---sw-', 5: '---sS-'}
    for reason in want:
        assert domain.state(shut(reason)) == want[reason], reason
    assert domain.state(shut(200)) == '---s?-'


def test_state_dying():
    assert domain.state(abi.DOMINF_dying) == '-----d'
    assert domain.state(shut(3) | abi.DOMINF_dying) == '---scd'


def test_reason_bits_ignored_when_not_shut_down():
    # Xen leaves 0xffff in the upper half when not shut down
    flags = 0xFFFF0000 | abi.DOMINF_running
    assert domain.state(flags) == 'r-----'
    assert domain.shutdown_reason(flags) is None
    assert domain.shutdown_reason(shut(1)) == 1


def test_state_hvm_and_hap_bits_do_not_show():
    assert domain.state(abi.DOMINF_hvm_guest | abi.DOMINF_hap | abi.DOMINF_blocked) == '-b----'


def test_memory_mib():
    assert domain.pages_to_mib(16384) == 64
    assert domain.pages_to_mib(255) == 0
    assert domain.pages_to_mib(256) == 1
    assert not domain.max_pages_unlimited(16384)
    assert domain.max_pages_unlimited(0xFFFFFFFF)
    assert domain.max_pages_unlimited(2**40)
    assert domain.max_pages_unlimited(2**64 - 1)


# --- CPU % and MEM %, in integer tenths ---------------------------------
S = 1000000000


def test_percent_tenths_rounding():
    assert domain.percent_tenths(S, S) == 1000  # 100.0 %
    assert domain.percent_tenths(S // 2, S) == 500
    assert domain.percent_tenths(0, S) == 0
    assert domain.percent_tenths(1234, 1000000) == 1  # 0.1234 % -> 0.1
    assert domain.percent_tenths(1500, 1000000) == 2  # 0.15 % rounds up
    assert domain.percent_tenths(1499, 1000000) == 1
    assert domain.percent_tenths(2 * S, S) == 2000  # two busy vCPUs
    assert domain.percent_tenths(S, 3 * S) == 333


def test_percent_tenths_no_sense():
    assert domain.percent_tenths(5, 0) is None
    assert domain.percent_tenths(-5, 100) is None


def poll(f, now, samples, total_kib=None):
    """One poll's listing through Figures: {domid: (cpu, mem)}."""
    f.begin(now, total_kib)
    out = {}
    for domid, cpu_time, pages in samples:
        out[domid] = f.of(domid, cpu_time, pages)
    f.end([Listed(domid) for domid in out])
    return out


class Listed:
    """What Figures.end reads of a listed domain."""

    def __init__(self, domid):
        self.domid = domid


def test_first_poll_has_no_cpu_figure():
    assert poll(domain.Figures(), 1000, [(0, 100, 0)]) == {0: (None, None)}


def test_second_poll():
    f = domain.Figures()
    poll(f, 0, [(0, 0, 0), (1, 0, 0)])
    r = poll(f, S, [(0, 250000000, 0), (1, 0, 0), (2, 9, 0)])
    assert r == {0: (250, None), 1: (0, None), 2: (None, None)}


def test_recycled_domid_starts_over():
    f = domain.Figures()
    poll(f, 0, [(5, 900, 0)])
    assert poll(f, 100, [(5, 10, 0)]) == {5: (None, None)}


def test_vanished_domains_forgotten():
    f = domain.Figures()
    poll(f, 0, [(1, 0, 0), (2, 0, 0)])
    poll(f, 10, [(1, 0, 0)])
    assert f.size() == 1
    assert poll(f, 20, [(2, 5, 0)]) == {2: (None, None)}


def test_mem_pct_over_the_hosts_memory():
    f = domain.Figures()
    # 16384 pages = 64 MiB of a 1 GiB host: 6.25 % -> 6.3
    assert poll(f, 0, [(0, 0, 16384)], 1048576) == {0: (None, 63)}
    assert poll(f, 1, [(0, 0, 16384)], None) == {0: (0, None)}  # physinfo refused


def test_decode_at_a_poll_carries_the_figures():
    f = domain.Figures()
    f.begin(0, 1048576)
    d = record(f, tot_pages=16384)
    f.end([d])
    assert d.mem_pct == 63 and d.cpu_pct is None
