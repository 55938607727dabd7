# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (needs gcc, subprocess and pytest)
"""What the image's C checks getdomaininfolist against (docs/security.md):
the table tools/xenabi/gen.py writes into build/xenabi/xenabi_sizes.h
(sysctl interface version -> sizeof(xen_domctl_getdomaininfo), and where
the fields C reads sit in a xen_sysctl), compared with the C compiler for
every generated release and arch, and with the index the monitor's
Python batches by (RECORD_SIZE): both sides must agree, or Python would
batch where C refuses. Also: the one-record room is the same number in
C, in hypercalls.py and in the fake."""

import os
import re

import pytest

import test_abi_offsets as offsets
from stubmon import abi
from stubmon import hypercalls

TOP = offsets.TOP
HEADER = os.path.join(TOP, 'build', 'xenabi', 'xenabi_sizes.h')
MACRO = {'x86_64': '__x86_64__', 'aarch64': '__aarch64__'}


def table(arch):
    """The #defines of one arch's block of xenabi_sizes.h."""
    text = open(HEADER).read()
    block = text.split('#if defined(%s)' % MACRO[arch], 1)[1].split('#endif', 1)[0]
    out = {}
    for name, value in re.findall(r'#define\s+(\w+)\s+(.+)', block):
        out[name] = value.strip()
    return out


def records(arch):
    return dict(
        (int(v, 16), int(s))
        for v, s in re.findall(
            r'\{\s*(0x[0-9a-f]+),\s*(\d+)\s*\}', table(arch)['XENABI_GDIL_RECORDS']
        )
    )


@pytest.mark.parametrize('arch', offsets.ARCHES)
def test_c_and_python_batch_by_the_same_record_sizes(arch):
    idx = __import__('xenabi_' + arch)
    assert records(arch) == idx.RECORD_SIZE
    # every generated release's sysctl version is in it, with its record
    for r in idx.RELEASES:
        m = abi.layouts(r, arch)
        v = idx.VERSIONS[r][0]
        assert idx.RECORD_SIZE[v] == m.SIZE['xen_domctl_getdomaininfo'], (r, v)
    # and nothing else: a version past every layout has no record size
    assert max(idx.RECORD_SIZE) == max(s for s, _ in idx.VERSIONS.values())


@pytest.mark.parametrize('release,arch', offsets.CASES)
def test_the_c_table_matches_the_compiler(release, arch, tmp_path):
    t = table(arch)
    exprs = [
        ('sizeof(struct xen_domctl_getdomaininfo)', None),
        ('XEN_SYSCTL_INTERFACE_VERSION', None),
        ('XEN_SYSCTL_getdomaininfolist', int(t['XENABI_SYSCTL_getdomaininfolist'])),
        ('offsetof(struct xen_sysctl, cmd)', int(t['XENABI_SYSCTL_CMD_AT'])),
        ('offsetof(struct xen_sysctl, interface_version)', int(t['XENABI_SYSCTL_VERSION_AT'])),
    ]
    for member, macro in (
        ('first_domain', 'FIRST_DOMAIN'),
        ('max_domains', 'MAX_DOMAINS'),
        ('buffer', 'BUFFER'),
        ('num_domains', 'NUM_DOMAINS'),
    ):
        exprs.append(
            (
                'offsetof(struct xen_sysctl, u.getdomaininfolist.%s)' % member,
                int(t['XENABI_GDIL_%s_AT' % macro]),
            )
        )
    exprs.append(('sizeof(((struct xen_sysctl *)0)->u.getdomaininfolist.buffer)', 8))
    got = offsets.compiler_values(release, arch, exprs, tmp_path)
    size, version = got[0], got[1]
    assert records(arch)[version] == size, (release, arch, hex(version), size)
    bad = [
        (e, got[i], want)
        for i, (e, want) in enumerate(exprs)
        if want is not None and got[i] != want
    ]
    assert not bad, bad


def test_the_one_record_room_is_one_number():
    c = open(os.path.join(TOP, 'port-xen', 'modxen.h')).read()
    room = int(re.search(r'#define\s+MODXEN_UNKNOWN_RECORD_ROOM\s+(\d+)', c).group(1))
    import xen  # the fake

    assert room == hypercalls.UNKNOWN_RECORD_ROOM == xen.UNKNOWN_RECORD_ROOM
    # larger than every record a generated layout knows
    for arch in offsets.ARCHES:
        assert max(records(arch).values()) < room
