# SPDX-License-Identifier: MIT
# The hypercall wrapper against the fake hypervisor.
import xen  # the fake

from stubmon import abi
from stubmon import hypercalls as hypervisor


def hyp():
    h = hypervisor.Hypervisor(xen)
    h.probe()
    return h


def test_version_text():
    xen.reset(version=(4, 17), extraversion=b'.7')
    h = hypervisor.Hypervisor(xen)
    assert h.version() == (4, 17, '.7')
    assert h.version_text() == '4.17.7'


def test_probe_4_17():
    st = xen.reset(version=(4, 17))
    h = hypervisor.Hypervisor(xen)
    assert h.probe() == []
    assert (h.sysctl_version, h.domctl_version) == (0x15, 0x15)
    assert h.interfaces_text() == 'sysctl 0x15 domctl 0x15'
    assert st.ncalls == 2  # the known release is tried first


def test_probe_4_20():
    xen.reset(version=(4, 20))
    h = hypervisor.Hypervisor(xen)
    assert h.probe() == []
    assert h.interfaces_text() == 'sysctl 0x15 domctl 0x17'


def test_probe_unknown_release_tries_all():
    st = xen.reset(version=(4, 21))
    st.version = (4, 99)  # a release stubmon has no layouts generated for
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert h.interfaces_text() == 'sysctl 0x16 domctl 0x17'
    # the newest generated layouts are assumed, and the user is told; with
    # 4.21's generated (../shared/xen) the probed versions then pick 4.21's
    newest = __import__('xenabi_x86_64').RELEASES[-1]
    assert (
        'xen 4.99: no layouts generated for it; assuming the layouts of xen %d.%d' % newest
        in msgs[0]
    )
    if (4, 21) in __import__('xenabi_x86_64').RELEASES:
        assert len(msgs) == 2, msgs
        assert 'interfaces 0x16/0x17 as in xen 4.21; assuming the layouts of xen 4.21' in msgs[1]
        assert h.layouts_text() == 'layouts xen 4.21 (x86_64), interfaces sysctl 0x16 domctl 0x17'
    else:
        # 0x16 without a generated layout: its record size is unknown, so the
        # listing goes one record per call, said in a line of its own
        assert len(msgs) == 2, msgs
        assert 'sysctl 0x16 has no generated layout' in msgs[1], msgs
        assert h.layouts_text() == 'layouts xen 4.20 (x86_64), interfaces sysctl 0x16 domctl 0x17'


def test_probe_eperm_confirms_version():
    # a plain domU: wrong versions -EACCES, the right one -EPERM
    st = xen.reset(version=(4, 17))
    st.fail = {'getdomaininfolist': 1, 'getdomaininfo': 1}
    h = hypervisor.Hypervisor(xen)
    assert h.probe() == []
    assert h.interfaces_text() == 'sysctl 0x15 domctl 0x15'


def test_probe_all_eacces_is_a_denial():
    st = xen.reset(version=(4, 20))
    st.flask_deny = True
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert h.interfaces_text() == 'sysctl ? domctl ?'
    assert len(msgs) == 2
    s, d = abi.SYSCTL_VERSIONS, abi.DOMCTL_VERSIONS  # 0x13..0x17 / 0x13..0x19 from 4.17+4.20
    assert (
        'every sysctl interface version (0x%02x..0x%02x) was refused with EACCES'
        % (min(s), max(s))
        in msgs[0]
    )
    assert 'FLASK' in msgs[0] and 'XSA-499' in msgs[0]
    assert 'every domctl interface version (0x%02x..0x%02x)' % (min(d), max(d)) in msgs[1]
    try:
        h.list_domains()
        assert False, 'listing should fail'
    except hypervisor.HypercallError as e:
        assert e.errno_name() == 'EACCES'


def test_lists_200_domains_in_batches():
    st = xen.reset()
    for i in range(1, 200):
        xen.add_domain(i * 3, tot_pages=i)
    h = hyp()
    st.ncalls = 0
    doms = h.list_domains()
    assert [d.domid for d in doms] == [0] + [i * 3 for i in range(1, 200)]
    assert doms[5].tot_pages == 5
    # 200 domains / 64 a batch: 4 sysctls, the last one short
    assert st.ncalls == 4


def test_exact_multiple_of_batch():
    st = xen.reset()
    for i in range(1, hypervisor.BATCH * 2):
        xen.add_domain(i)
    h = hyp()
    st.ncalls = 0
    assert len(h.list_domains()) == hypervisor.BATCH * 2
    assert st.ncalls == 3  # the third, empty batch says "no more"


def test_lists_on_aarch64():
    xen.reset(arch_name='aarch64')
    for i in range(1, 70):
        xen.add_domain(i, tot_pages=i * 256)
    doms = hyp().list_domains()
    assert len(doms) == 70 and doms[69].domid == 69 and doms[69].tot_pages == 69 * 256


def test_get_domain():
    xen.reset()
    xen.add_domain(4, flags=0x8, tot_pages=77)
    d = hyp().get_domain(4)
    assert d.domid == 4 and d.tot_pages == 77


def test_get_missing_domain_names_esrch():
    xen.reset()
    try:
        hyp().get_domain(9)
        assert False
    except hypervisor.HypercallError as e:
        assert e.op() == 'getdomaininfo' and e.errno() == 3
        assert (
            hypervisor.explain(e)
            == 'stubmon: getdomaininfo failed: ESRCH (no such domain (it went away))'
        )


def test_list_eperm_message():
    st = xen.reset()
    h = hyp()
    st.fail = {'getdomaininfolist': 1}
    try:
        h.list_domains()
        assert False
    except hypervisor.HypercallError as e:
        assert hypervisor.explain(e) == (
            'stubmon: getdomaininfolist failed: EPERM (this domain is not privileged to list '
            'domains: boot Xen with FLASK (flask=enforcing) and a policy that includes '
            'stubmon\'s policy/stubmon.te, start stubmon with '
            'seclabel=\'system_u:system_r:stubmon_t\' (boards/x86_64/stubmon.cfg), or run it '
            'as dom0; see README)'
        )


def test_unknown_errno_still_named():
    e = hypervisor.HypercallError('getdomaininfolist', 123)
    assert hypervisor.explain(e) == 'stubmon: getdomaininfolist failed: errno 123'
    e = hypervisor.HypercallError('max_mem', 38)
    assert (
        hypervisor.explain(e)
        == 'stubmon: max_mem failed: ENOSYS (this Xen does not implement the call)'
    )


def test_create_and_destroy_demo_domain():
    for version in ((4, 17), (4, 20)):
        st = xen.reset(version=version)
        h = hyp()
        a = h.create_empty_domain(16)
        b = h.create_empty_domain(32)
        assert (a, b) == (1, 2)
        cfg = st.created[0]
        assert cfg['flags'] == 0 and cfg['max_vcpus'] == 1 and cfg['grant_opts'] == 1
        assert cfg['ssidref'] == 0 and cfg['max_evtchn_port'] >= 1
        d = h.get_domain(b)
        assert d.max_pages == 32 * 256 and d.tot_pages == 0
        assert d.flags & abi.DOMINF_paused
        h.destroy_domain(a)
        assert [d.domid for d in h.list_domains()] == [0, 2]


def test_create_on_aarch64_is_hvm_hap():
    st = xen.reset(arch_name='aarch64')
    hyp().create_empty_domain(16)
    assert st.created[0]['flags'] == abi.CDF_hvm | abi.CDF_hap


def test_max_mem_failure_destroys_new_domain():
    st = xen.reset()
    h = hyp()
    st.fail = {'max_mem': 12}
    try:
        h.create_empty_domain(16)
        assert False
    except hypervisor.HypercallError as e:
        assert e.op() == 'max_mem' and e.errno_name() == 'ENOMEM'
    assert list(st.domains) == [0]


def test_create_denied():
    st = xen.reset()
    h = hyp()
    st.fail = {'createdomain': 1}
    try:
        h.create_empty_domain(16)
        assert False
    except hypervisor.HypercallError as e:
        assert hypervisor.explain(e) == (
            'stubmon: createdomain failed: EPERM (only a '
            'privileged domain (dom0) can create domains)'
        )


def test_createdomain_layout_by_version():
    assert hypervisor.abi.Abi((4, 17), 'x86_64').CD['altp2m_opts'] is None
    assert hypervisor.abi.Abi((4, 20), 'x86_64').CD['altp2m_opts'] == 48


def test_physinfo():
    for version in ((4, 17), (4, 20)):
        st = xen.reset(version=version)
        st.physinfo['nr_cpus'] = 4
        st.physinfo['cpu_khz'] = 2399999
        st.physinfo['free_pages'] = 1000
        pi = hyp().physinfo()
        assert pi.nr_cpus == 4
        assert pi.cpu_khz == 2399999 and pi.cpu_mhz == 2399
        assert pi.total_pages == 262144 and pi.total_kib == 1048576
        assert pi.free_pages == 1000 and pi.free_kib == 4000
        assert pi.threads_per_core == 1 and pi.cores_per_socket == 2 and pi.nr_nodes == 1
        d = pi.as_dict()
        assert d['nr_cpus'] == 4 and d['cpu_mhz'] == 2399 and d['total_kib'] == 1048576
        assert ('sysctl', 3, st.sysctl_version) in st.calls


def test_physinfo_refused():
    for errno, name in ((1, 'EPERM'), (13, 'EACCES')):
        st = xen.reset()
        h = hyp()
        st.fail['physinfo'] = errno
        try:
            h.physinfo()
            raise AssertionError('no error')
        except hypervisor.HypercallError as e:
            assert e.op() == 'physinfo' and e.errno() == errno
            line = hypervisor.explain(e)
            assert line.startswith('stubmon: physinfo failed: %s (' % name)
            assert 'physinfo' in line[30:]


def _past_every_layout(records=4):
    """A Xen whose sysctl interface version no generated layout has (the
    newest the probe tries: past every layout) and whose domain record grew
    to 4 times this arch's. Returns (state, that version)."""
    st = xen.reset(version=(4, 22))
    st.version = (4, 99)
    newer = max(abi.SYSCTL_VERSIONS)
    assert newer not in __import__('xenabi_x86_64').RECORD_SIZE
    st.sysctl_version = newer
    st.record_size = 4 * xen.ARCH_RECORD['x86_64']
    for i in range(1, records + 1):
        xen.add_domain(i, tot_pages=i)
    return st, newer


def test_a_sysctl_version_past_every_layout_lists_one_record_per_call():
    # through the probe, as at boot: Xen accepts only that version, the
    # listing goes one record per call into a buffer the grown record fits
    # (the fake raises Overrun past it, and refuses a batch of unknown
    # records as the image's C does), and it is said once
    st, newer = _past_every_layout()
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert h.sysctl_version == newer
    said = (
        'stubmon: sysctl 0x%02x has no generated layout: the size of its domain record is '
        'unknown, so domains are listed one per call (slower, never past the buffer)' % newer
    )
    assert [m for m in msgs if 'one per call' in m] == [said]
    assert h.batch == 1 and len(h._list) == hypervisor.UNKNOWN_RECORD_ROOM
    st.list_calls = []
    doms = h.list_domains()
    assert [d.domid for d in doms] == [0, 1, 2, 3, 4]
    assert [d.tot_pages for d in doms[1:]] == [1, 2, 3, 4]  # the stable fields still decode
    assert st.list_calls == [1] * 6  # one per domain, and the empty one that ends it
    assert [d.domid for d in h.list_domains()] == [0, 1, 2, 3, 4]
    assert [m for m in h.probe() if 'one per call' in m] == []  # said once


def test_the_c_side_refuses_a_batch_of_records_of_unknown_size():
    # what xen.sysctl checks in C before Xen writes (the fake mirrors it):
    # more than one record of a version without a generated layout, a
    # record of unknown size into less than UNKNOWN_RECORD_ROOM, a batch of
    # known records past the buffer, records without their buffer
    st, newer = _past_every_layout()
    h = hypervisor.Hypervisor(xen)
    h.probe()
    st.list_calls = []
    for count, room, text in (
        (2, 65536, 'its record size is unknown'),
        (1, 4095, 'needs 4096 bytes; the buffer has 4095'),
    ):
        h._fill_sysctl_list(newer, 0, count)
        try:
            xen.sysctl(h._sysctl, bytearray(room))
            assert False, 'refused'
        except ValueError as e:
            assert text in str(e), str(e)
    assert st.list_calls == []  # Xen never saw them
    st = xen.reset(version=(4, 20))
    h = hyp()
    st.list_calls = []
    h._fill_sysctl_list(h.sysctl_version, 0, 64)
    for records in (bytearray(64 * h.di_size - 1), None):
        try:
            xen.sysctl(h._sysctl, records)
            assert False, 'refused'
        except ValueError as e:
            assert 'getdomaininfolist of 64 records' in str(e), str(e)
    assert st.list_calls == []


def test_a_layout_whose_record_is_not_the_versions_lists_one_record_per_call():
    # a probed version whose generated record size is not the layouts' in
    # force: not batched either
    st = xen.reset(version=(4, 20))
    h = hypervisor.Hypervisor(xen)
    h.abi.DI_SIZE += 8
    msgs = h.probe()
    assert h.batch == 1
    assert [m for m in msgs if 'one per call' in m] == [
        'stubmon: sysctl 0x15 writes domain records of 112 bytes, the layouts in force (xen 4.20) '
        '120, so domains are listed one per call (slower, never past the buffer)'
    ]


def test_a_listing_buffer_too_small_for_the_batch_is_refused():
    xen.reset()
    h = hyp()
    h._list = bytearray(h.di_size * 2)  # as if the record had grown
    try:
        h.list_domains()
        assert False
    except ValueError as e:
        assert 'too small for 64 records' in str(e)
