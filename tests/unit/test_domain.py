# Decoding getdomaininfo records and xl-style state letters.
import xen   # the fake

from stubmon import abi
from stubmon import record as domain


def record(**kw):
    xen.reset()
    d = xen.add_domain(7, **kw)
    buf = bytearray(abi.DI_SIZE['x86_64'] + 8)
    xen._record(buf, 8, d)   # at an offset, as in a getdomaininfolist batch
    return domain.decode(buf, 8)


def test_decode_fields():
    h = bytes(range(16))
    d = record(flags=0x20, tot_pages=4096, max_pages=8192, cpu_time=123456789, vcpus=2,
               ssidref=5, handle=h, cpupool=3)
    assert d.domid == 7
    assert d.flags == 0x20
    assert d.tot_pages == 4096 and d.max_pages == 8192
    assert d.cpu_time == 123456789
    assert d.nr_online_vcpus == 2 and d.max_vcpu_id == 1
    assert d.ssidref == 5 and d.handle == h and d.cpupool == 3


def test_decode_no_vcpus():
    d = record(vcpus=0)
    assert d.nr_online_vcpus == 0 and d.max_vcpu_id == domain.MAX_VCPU_ID_NONE


def test_decode_aarch64_record_size():
    xen.reset(arch_name='aarch64')
    xen.add_domain(3, tot_pages=1)
    xen.add_domain(4, tot_pages=2)
    size = abi.DI_SIZE['aarch64']
    buf = bytearray(2 * size)
    xen._record(buf, 0, xen.st.domains[3])
    xen._record(buf, size, xen.st.domains[4])
    assert domain.decode(buf, size).domid == 4
    assert domain.decode(buf, size).tot_pages == 2


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
    flags = 0xffff0000 | abi.DOMINF_running
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
    assert domain.max_pages_unlimited(0xffffffff)
    assert domain.max_pages_unlimited(2 ** 40)
    assert domain.max_pages_unlimited(2 ** 64 - 1)
