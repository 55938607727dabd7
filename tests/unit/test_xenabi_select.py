# SPDX-License-Identifier: MIT
# Run-time choice of the generated layouts (monitor/stubmon/abi.py over
# build/xenabi): exact release, fallback for unknown ones, refinement by the
# probed interface versions, the FLASK denial. Portable: runs under CPython
# and both MicroPython builds (the generated modules must load there too).
import struct

import xen  # the fake

from stubmon import abi
from stubmon import hypercalls as hypervisor


def setup(version, sysctl=None, domctl=None, arch='x86_64'):
    known = version in xen.RELEASES
    st = xen.reset(version=version if known else (4, 20), arch_name=arch)
    st.version = version
    if sysctl is not None:
        st.sysctl_version, st.domctl_version = sysctl, domctl
    return st


def test_generated_releases_present():
    for arch in ('x86_64', 'aarch64'):
        idx = __import__('xenabi_' + arch)
        assert (4, 17) in idx.RELEASES and (4, 20) in idx.RELEASES
        assert idx.VERSIONS[(4, 17)] == (0x15, 0x15)
        assert idx.VERSIONS[(4, 20)] == (0x15, 0x17)
    # x86_64: getdomaininfo(list) and the sysctl/domctl headers did not move;
    # on Arm 4.20 put sve_vl into arch_config's former padding
    idx = __import__('xenabi_x86_64')
    assert idx.GDI_LAYOUT[(4, 17)] == idx.GDI_LAYOUT[(4, 20)]
    idx = __import__('xenabi_aarch64')
    assert idx.GDI_LAYOUT[(4, 17)] != idx.GDI_LAYOUT[(4, 20)]


def test_exact_release_is_chosen():
    for v, arch, di in (
        ((4, 17), 'x86_64', 112),
        ((4, 20), 'x86_64', 112),
        ((4, 17), 'aarch64', 120),
        ((4, 20), 'aarch64', 120),
    ):
        setup(v, arch=arch)
        h = hypervisor.Hypervisor(xen)
        assert h.layout_note is None
        assert h.probe() == []
        assert h.abi.release == v and h.abi.arch == arch
        assert h.di_size == di
        assert h.layouts_text().startswith(
            'layouts xen %d.%d (%s), interfaces sysctl 0x15' % (v + (arch,))
        )


def test_createdomain_follows_the_chosen_release():
    for v, altp2m in (((4, 17), None), ((4, 20), 48)):
        st = setup(v)
        h = hypervisor.Hypervisor(xen)
        h.probe()
        assert h.abi.CD['altp2m_opts'] == altp2m
        domid = h.create_empty_domain(16)
        assert domid in st.domains


# the newest release generated: 4.20 from Debian, 4.22 with ../shared/xen
NEWEST = __import__('xenabi_x86_64').RELEASES[-1]
GENERATED = ', '.join(['%d.%d' % r for r in __import__('xenabi_x86_64').RELEASES])
# a release newer than every generated one, speaking 4.22's interfaces
NEWER = (4, 22) if NEWEST < (4, 22) else (4, 23)


def xenabi_index_record_sizes():
    """The sysctl versions whose record size a generated layout gives."""
    return getattr(__import__('xenabi_x86_64'), 'RECORD_SIZE', {})


def test_newer_release_assumes_newest_layouts_and_lists_domains():
    st = setup(NEWER, 0x16, 0x18)
    xen.add_domain(5, tot_pages=256)
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert h.abi.release == NEWEST
    # where 0x16 has no generated layout (no ../shared/xen: 4.17/4.20 only),
    # the listing also goes one record per call, said in a line of its own
    one_per_call = [m for m in msgs if 'listed one per call' in m]
    assert len(one_per_call) == (0 if 0x16 in xenabi_index_record_sizes() else 1), msgs
    msgs = [m for m in msgs if m not in one_per_call]
    assert len(msgs) == 1
    assert msgs[0] == (
        'stubmon: xen %d.%d: no layouts generated for it; assuming the layouts of '
        'xen %d.%d (its getdomaininfo layout is the one of %s)' % (NEWER + NEWEST + (GENERATED,))
    )
    assert h.interfaces_text() == 'sysctl 0x16 domctl 0x18'
    assert h.layouts_text() == (
        'layouts xen %d.%d (x86_64), interfaces sysctl 0x16 domctl 0x18' % NEWEST
    )
    doms = h.list_domains()
    assert [d.domid for d in doms] == [0, 5] and doms[1].tot_pages == 256


def test_older_release_assumes_oldest_layouts():
    setup((4, 16), 0x14, 0x14)
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert h.abi.release == (4, 17)
    assert 'xen 4.16: no layouts generated for it; assuming the layouts of xen 4.17' in msgs[0]
    assert h.interfaces_text() == 'sysctl 0x14 domctl 0x14'


def test_in_between_release_refined_by_probed_interfaces():
    # 4.19 speaks what 4.20's headers declare: its layouts are preferred
    # over 4.17's (the newest older release) once the probe confirms it
    st = setup((4, 19), 0x15, 0x17)
    h = hypervisor.Hypervisor(xen)
    assert h.abi.release == (4, 17)
    msgs = h.probe()
    assert h.abi.release == (4, 20)
    assert len(msgs) == 2
    assert 'assuming the layouts of xen 4.17' in msgs[0]
    assert msgs[1].startswith(
        'stubmon: xen 4.19: interfaces 0x15/0x17 as in xen 4.20; assuming the layouts of xen 4.20'
    )
    h.create_empty_domain(16)  # the fake checks the 4.20 createdomain tail
    assert st.created[-1]['max_vcpus'] == 1


def test_known_release_with_other_interfaces_is_reported():
    setup((4, 17), 0x15, 0x16)  # e.g. a patched 4.17
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert len(msgs) == 1
    assert 'its headers say 0x15 0x15' in msgs[0]


def test_every_version_refused_is_a_denial_not_an_unknown_release():
    st = setup(NEWER, 0x16, 0x18)
    st.flask_deny = True
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert h.interfaces_text() == 'sysctl ? domctl ?'
    assert 'assuming the layouts of xen %d.%d' % NEWEST in msgs[0]
    assert 'FLASK' in msgs[1] and 'XSA-499' in msgs[1] and 'EACCES' in msgs[1]
    assert 'domctl' in msgs[2]
    assert h.abi.release == NEWEST  # no refinement without confirmed versions


def test_probe_candidates_cover_the_generated_versions():
    setup((4, 20))
    hypervisor.Hypervisor(xen)
    for s, d in abi.RELEASE_VERSIONS.values():
        assert s in abi.SYSCTL_VERSIONS and d in abi.DOMCTL_VERSIONS
    assert list(abi.SYSCTL_VERSIONS) == sorted(abi.SYSCTL_VERSIONS, reverse=True)


def test_layouts_come_from_the_generated_descriptors():
    setup((4, 20))
    h = hypervisor.Hypervisor(xen)
    a, m = h.abi, h.abi.module
    assert a.DI['cpu_time'] == m.xen_domctl_getdomaininfo['cpu_time'] & 0x1FFFF
    assert a.DOMCTL_PAYLOAD == m.xen_domctl['u'][0] & 0x1FFFF
    assert a.SYSCTL_SIZE == m.SIZE['xen_sysctl']
    assert abi.DOMCTL_pausedomain == m.CONST['XEN_DOMCTL_pausedomain']
    assert abi.ERRNO_NAMES[abi.EACCES] == 'EACCES'


def test_layouts_decoded_once_per_release_and_usable_by_uctypes():
    """Each release's layouts are decoded from its bytes once and kept;
    what is decoded reads a buffer as the C layout says (here, under
    MicroPython too, through uctypes where the build has it)."""
    idx = __import__('xenabi_x86_64')
    for r in idx.RELEASES:
        m = abi.layouts(r, 'x86_64')
        assert m is abi.layouts(r, 'x86_64') and m.RELEASE == r and m.ARCH == 'x86_64'
        assert m.ERRNO[abi.EACCES] == 'EACCES'
        assert ('xen_domctl_get_domain_state' in m.SIZE) == hasattr(
            m, 'xen_domctl_get_domain_state'
        )
        d = m.xen_domctl
        a = abi.Abi(r, 'x86_64')
        assert (a.DOMCTL_CMD, a.DOMCTL_DOMAIN) == (d['cmd'] & 0x1FFFF, d['domain'] & 0x1FFFF)
        try:
            import uctypes
        except ImportError:
            continue
        buf = bytearray(m.SIZE['xen_domctl'])
        s = uctypes.struct(uctypes.addressof(buf), d, uctypes.LITTLE_ENDIAN)
        s.cmd, s.domain = 0x12345678, 0x7FF0
        assert struct.unpack_from('<I', buf, a.DOMCTL_CMD)[0] == 0x12345678
        assert struct.unpack_from('<H', buf, a.DOMCTL_DOMAIN)[0] == 0x7FF0


def test_each_hypervisor_has_its_own_layouts():
    """An Abi object per Hypervisor, not module globals: choosing 4.17's
    layouts for one leaves another's 4.20 ones alone."""
    setup((4, 20), arch='aarch64')
    new = hypervisor.Hypervisor(xen)
    setup((4, 17), arch='aarch64')
    old = hypervisor.Hypervisor(xen)
    assert new.abi.release == (4, 20) and old.abi.release == (4, 17)
    assert new.abi.module.RELEASE == (4, 20) and old.abi.module.RELEASE == (4, 17)
    assert new.abi.DI_SIZE == new.abi.module.SIZE['xen_domctl_getdomaininfo']


def test_denial_on_a_generated_release_is_named_a_denial():
    st = setup((4, 20))
    st.flask_deny = True
    h = hypervisor.Hypervisor(xen)
    msgs = h.probe()
    assert len(msgs) == 2
    s = abi.SYSCTL_VERSIONS
    assert msgs[0].startswith(
        'stubmon: every sysctl interface version (0x%02x..0x%02x) was refused '
        'with EACCES, even 0x15 of xen 4.20\'s own headers: this is a denial' % (min(s), max(s))
    )
    assert 'not an unknown release' in msgs[0] and 'FLASK' in msgs[0]
    assert 'even 0x17 of xen 4.20\'s own headers' in msgs[1]
