# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (needs gcc, subprocess and pytest)
# The layouts tools/xenabi generated (build/xenabi/<arch>/xenabi_<arch>.py, one
# bytes object a release, decoded by monitor/stubmon/abi.py's Layouts)
# against the C compiler, for every release and arch: a C program compiled
# against the same headers gives sizeof of every generated struct, offsetof
# and sizeof of every member (nested ones too), every generated constant and
# typedef size, and the errno values. Host gcc runs its program (x86_64);
# aarch64-linux-gnu-gcc only compiles (-ffreestanding, no C library there)
# and the values are read back from the object file. Then the facade
# monitor/stubmon/abi.py is checked to expose those same numbers under its names.
# mprun.py never runs this module.
import os
import re
import shutil
import subprocess
import sys

import pytest

from stubmon import abi

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools', 'xenabi'))
sys.path.insert(0, os.path.join(TOP, 'tools'))
import gen  # noqa: E402
import xenshared  # noqa: E402

ARCHES = ('x86_64', 'aarch64')
UC_COUNT = (1 << 27) - 1


# Debian's libxen-dev and the releases in ../shared/xen (XEN_SHARED), as make finds them
INCLUDE = dict(
    ('%d.%d' % r, inc)
    for r, inc in gen.releases(os.path.join(TOP, '.deps', 'pkg'), xenshared.root())
)
RELEASES = sorted(INCLUDE, key=lambda v: tuple(int(x) for x in v.split('.')))
CASES = [(r, a) for r in RELEASES for a in ARCHES]


def include_dir(release):
    return INCLUDE[release]


def generated(release, arch):
    """A release's layouts as the image has them: abi.Layouts, decoded."""
    major, minor = (int(x) for x in release.split('.'))
    return abi.layouts((major, minor), arch)


def scalar_size(code):
    t = (code >> 27) & 0xF
    assert t < 8, 'bit-field or float in a generated layout: %x' % code
    return 1 << (t >> 1)


def member_exprs(ctype, desc, prefix='', base=0):
    """(C expression, value) for every member of a uctypes descriptor
    (nested descriptors hold offsets relative to their own start)."""
    out = []
    for name, v in sorted(desc.items()):
        path = prefix + name
        whole = 'offsetof(%s, %s)' % (ctype, path)
        size = 'sizeof(((%s *)0)->%s)' % (ctype, path)
        if isinstance(v, int):
            out.append((whole, base + (v & 0x1FFFF)))
            out.append((size, scalar_size(v)))
        elif len(v) == 2 and isinstance(v[1], dict):  # nested struct
            out.append((whole, base + (v[0] & 0x1FFFF)))
            out.extend(member_exprs(ctype, v[1], path + '.', base + (v[0] & 0x1FFFF)))
        elif len(v) == 2:  # array of scalars
            out.append((whole, base + (v[0] & 0x1FFFF)))
            out.append((size, (v[1] & UC_COUNT) * scalar_size(v[1] & ~UC_COUNT)))
        else:  # array of structs
            out.append((whole, base + (v[0] & 0x1FFFF)))
            out.extend(member_exprs(ctype, v[2], path + '[0].', base + (v[0] & 0x1FFFF)))
    return out


def expectations(release, arch):
    """(C expression, value the generated layouts say) pairs."""
    m = generated(release, arch)
    assert m.RELEASE == tuple(int(x) for x in release.split('.')) and m.ARCH == arch
    e = []
    for name, _ in gen.STRUCTS + gen.OPTIONAL_STRUCTS:
        if not hasattr(m, name):
            continue
        ctype = 'struct ' + name
        e.append(('sizeof(%s)' % ctype, m.SIZE[name]))
        e.extend(member_exprs(ctype, getattr(m, name)))
    for name in gen.TYPEDEF_SIZES:
        e.append(('sizeof(%s)' % name, m.SIZE[name]))
    for name, v in sorted(m.CONST.items()):
        e.append((name, v))
    errno = getattr(m, 'ERRNO', None) or __import__('xenabi_' + arch).ERRNO
    for v, name in sorted(errno.items()):
        e.append(('XEN_' + name, v))
    return e


def c_source(exprs, runnable=True):
    # runnable: a main() printing the values (host); else only the constants,
    # read back from the object file (cross compiler without a C library)
    lines = (
        ['#include <stddef.h>', '#include <stdint.h>']
        + (['#include <stdio.h>'] if runnable else [])
        + [
            '#include <xen/xen.h>',
            '#include <xen/errno.h>',
            '#include <xen/version.h>',
            '#include <xen/sched.h>',
            '#include <xen/sysctl.h>',
            '#include <xen/domctl.h>',
        ]
    )
    for i, (expr, _) in enumerate(exprs):
        lines.append('const unsigned long long v%d = (unsigned long long)(%s);' % (i, expr))
    if not runnable:
        return '\n'.join(lines) + '\n'
    lines.append('int main(void) {')
    for i in range(len(exprs)):
        lines.append('    printf("%%d %%llu\\n", %d, v%d);' % (i, i))
    lines.append('    return 0; }')
    return '\n'.join(lines) + '\n'


def compare(exprs, got, what):
    bad = []
    for i, (expr, want) in enumerate(exprs):
        if got[i] != want & 0xFFFFFFFFFFFFFFFF:
            bad.append('%s: the compiler says %d, %s says %d' % (expr, got[i], what, want))
    assert not bad, '\n'.join(bad)


def gcc_flags(release):
    return ['-D__XEN_TOOLS__', '-I', include_dir(release), '-std=gnu11', '-Wall', '-Werror']


def read_consts_from_object(obj, n, prefix='aarch64-linux-gnu-'):
    # v0..vN-1 are 8-byte little-endian constants in .rodata: find each
    # symbol's section offset with nm and read it with objcopy's dump.
    nm = shutil.which(prefix + 'nm') or 'nm'
    objcopy = shutil.which(prefix + 'objcopy') or 'objcopy'
    syms = subprocess.run([nm, str(obj)], check=True, capture_output=True, text=True).stdout
    data_file = str(obj) + '.rodata'
    subprocess.run(
        [objcopy, '-O', 'binary', '--only-section=.rodata', str(obj), data_file], check=True
    )
    data = open(data_file, 'rb').read()
    got = {}
    for line in syms.splitlines():
        m = re.match(r'([0-9a-f]+) [Rr] v(\d+)$', line)
        if m:
            off = int(m.group(1), 16)
            got[int(m.group(2))] = int.from_bytes(data[off : off + 8], 'little')
    assert len(got) == n
    return got


def compiler_values(release, arch, exprs, tmp_path):
    """What gcc says for each expression, compiled against the release's headers."""
    assert os.path.isdir(include_dir(release)), 'run tools/deps.sh'
    src = tmp_path / 'abi.c'
    if arch == 'x86_64':
        assert shutil.which('gcc'), 'no host gcc: run make deps'
        src.write_text(c_source(exprs))
        exe = tmp_path / 'abi'
        subprocess.run(['gcc'] + gcc_flags(release) + ['-o', str(exe), str(src)], check=True)
        out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
        got = {}
        for line in out.splitlines():
            i, v = line.split()
            got[int(i)] = int(v)
        return got
    cc = shutil.which('aarch64-linux-gnu-gcc')
    assert cc, 'aarch64-linux-gnu-gcc missing: make deps installs it'
    src.write_text(c_source(exprs, runnable=False))
    obj = tmp_path / 'abi.o'
    # -ffreestanding: the cross compiler comes without a C library's headers
    subprocess.run(
        [cc, '-ffreestanding'] + gcc_flags(release) + ['-c', '-o', str(obj), str(src)], check=True
    )
    return read_consts_from_object(obj, len(exprs))


def test_every_release_and_arch_generated():
    assert RELEASES, 'no libxen-dev-X.Y headers under .deps/pkg: run make deps'
    assert '4.17' in RELEASES and '4.20' in RELEASES
    for arch in ARCHES:
        idx = __import__('xenabi_' + arch)
        assert ['%d.%d' % r for r in idx.RELEASES] == RELEASES


def test_shared_releases_generated_when_present():
    """4.21 and 4.22 come from ../shared/xen: generated whenever it is there."""
    found = xenshared.releases()
    if not found:
        pytest.skip('no %s: Xen 4.21/4.22 layouts not generated (make says so)' % xenshared.root())
    for v in xenshared.EXPECTED:
        assert v in found, (v, found)
        assert v in RELEASES
        for arch in ARCHES:
            m = generated(v, arch)
            assert m.CONST['XEN_DOMCTL_get_domain_state'] == 90  # 4.21+
            assert m.SIZE['xen_domctl_get_domain_state'] == 16
            assert ('DOMID_ANY' in m.CONST) == (v >= '4.22')
    assert generated('4.22', 'x86_64').CONST['DOMID_ANY'] == 0x7FF5
    for arch in ARCHES:
        assert not hasattr(generated('4.20', arch), 'xen_domctl_get_domain_state')


@pytest.mark.parametrize('release,arch', CASES)
def test_decoded_layouts_are_what_the_generator_read(release, arch):
    """What abi.Layouts decodes from a release's bytes is exactly what
    tools/xenabi/gen.py read from the headers: every uctypes descriptor
    (the ones a module of Python literals held before), SIZE, CONST,
    ERRNO; and no struct more."""
    major, minor = (int(x) for x in release.split('.'))
    want = gen.generate((major, minor), include_dir(release), arch)
    m = generated(release, arch)
    assert m.RELEASE == (major, minor) and m.ARCH == arch
    assert m.SIZE == want['SIZE'] and m.CONST == want['CONST'] and m.ERRNO == want['ERRNO']
    for name, _ in gen.STRUCTS + gen.OPTIONAL_STRUCTS:
        if name in want['layouts']:
            assert getattr(m, name) == want['layouts'][name], name
        else:
            assert not hasattr(m, name), name
    assert sorted(k for k in vars(m) if k.startswith('xen_')) == sorted(want['layouts'])


def test_layouts_not_trusted_blindly():
    """A release's bytes of the wrong length or for another release stop
    the decoding (an AssertionError, or an IndexError past the end)."""
    idx = __import__('xenabi_x86_64')
    r = idx.RELEASES[0]
    b = idx.LAYOUTS[0]

    class Index:
        RELEASES = (r,)
        NAMES, SHAPES, ERRNO = idx.NAMES, idx.SHAPES, idx.ERRNO

    for bad in (b + b'\0', b[:-1], b[:3], b[:1] + bytes([r[0], r[1] + 1]) + b[3:]):
        Index.LAYOUTS = (bad,)
        with pytest.raises((AssertionError, IndexError)):
            abi.Layouts(Index, r, 'x86_64').xen_sysctl
    Index.LAYOUTS = (b,)
    assert abi.Layouts(Index, r, 'x86_64').xen_sysctl == abi.layouts(r, 'x86_64').xen_sysctl


@pytest.mark.parametrize('release,arch', CASES)
def test_generated_layouts_match_compiler(release, arch, tmp_path):
    exprs = expectations(release, arch)
    assert len(exprs) > 150
    compare(exprs, compiler_values(release, arch, exprs, tmp_path), 'the generated layouts')


def facade_expectations(a):
    """(C expression, value): an abi.Abi's names (a release's layouts) and
    the abi module's own (what every release shares)."""
    o = 'offsetof'
    arch = a.arch
    e = [
        ('sizeof(struct xen_sysctl)', a.SYSCTL_SIZE),
        ('offsetof(struct xen_sysctl, cmd)', a.SYSCTL_CMD),
        ('offsetof(struct xen_sysctl, interface_version)', a.SYSCTL_VERSION),
        ('offsetof(struct xen_sysctl, u)', a.SYSCTL_PAYLOAD),
        ('XEN_SYSCTL_getdomaininfolist', abi.SYSCTL_getdomaininfolist),
        ('XEN_SYSCTL_physinfo', abi.SYSCTL_physinfo),
        ('sizeof(struct xen_sysctl_physinfo)', a.PI_SIZE),
        ('sizeof(struct xen_domctl)', a.DOMCTL_SIZE),
        ('offsetof(struct xen_domctl, cmd)', a.DOMCTL_CMD),
        ('offsetof(struct xen_domctl, interface_version)', a.DOMCTL_VERSION),
        ('offsetof(struct xen_domctl, domain)', a.DOMCTL_DOMAIN),
        ('offsetof(struct xen_domctl, u)', a.DOMCTL_PAYLOAD),
        ('XEN_DOMCTL_createdomain', abi.DOMCTL_createdomain),
        ('XEN_DOMCTL_destroydomain', abi.DOMCTL_destroydomain),
        ('XEN_DOMCTL_getdomaininfo', abi.DOMCTL_getdomaininfo),
        ('XEN_DOMCTL_max_mem', abi.DOMCTL_max_mem),
        ('XEN_DOMCTL_pausedomain', abi.DOMCTL_pausedomain),
        ('XEN_DOMCTL_unpausedomain', abi.DOMCTL_unpausedomain),
        ('XEN_SYSCTL_INTERFACE_VERSION', a.versions[a.release][0]),
        ('XEN_DOMCTL_INTERFACE_VERSION', a.versions[a.release][1]),
        ('sizeof(struct xen_sysctl_getdomaininfolist)', a.GDIL_SIZE),
        ('sizeof(xen_domain_handle_t)', a.DI_HANDLE_LEN),
        ('DOMID_FIRST_RESERVED', abi.DOMID_FIRST_RESERVED),
        ('sizeof(struct xen_domctl_getdomaininfo)', a.DI_SIZE),
        ('XEN_DOMINF_shutdownshift', abi.DOMINF_shutdownshift),
        ('XEN_DOMINF_shutdownmask', abi.DOMINF_shutdownmask),
        ('XEN_DOMCTL_CDF_hvm', abi.CDF_hvm),
        ('XEN_DOMCTL_CDF_hap', abi.CDF_hap),
        ('offsetof(struct xen_domctl_max_mem, max_memkb)', a.MM_MAX_MEMKB),
        ('XENVER_version', abi.XENVER_version),
        ('XENVER_extraversion', abi.XENVER_extraversion),
        ('sizeof(xen_extraversion_t)', a.XENVER_EXTRAVERSION_LEN),
        ('sizeof(xen_extraversion_t)', abi.XENVER_EXTRAVERSION_LEN),
        ('XEN_EACCES', abi.EACCES),
        ('XEN_EPERM', abi.EPERM),
        ('XEN_ESRCH', abi.ESRCH),
    ]
    for f in ('first_domain', 'max_domains', 'buffer', 'num_domains'):
        e.append(('%s(struct xen_sysctl_getdomaininfolist, %s)' % (o, f), a.GDIL[f]))
    for f in (
        'threads_per_core',
        'cores_per_socket',
        'nr_cpus',
        'max_cpu_id',
        'nr_nodes',
        'cpu_khz',
        'capabilities',
        'total_pages',
        'free_pages',
        'scrub_pages',
        'outstanding_pages',
    ):
        e.append(('%s(struct xen_sysctl_physinfo, %s)' % (o, f), a.PI[f]))
    e += [
        ('XEN_SYSCTL_getcpuinfo', abi.SYSCTL_getcpuinfo),
        ('XEN_SYSCTL_readconsole', abi.SYSCTL_readconsole),
        ('XEN_DOMCTL_getvcpuinfo', abi.DOMCTL_getvcpuinfo),
        ('sizeof(struct xen_sysctl_cpuinfo)', a.CPUINFO_SIZE),
        ('offsetof(struct xen_sysctl_cpuinfo, idletime)', a.CPUINFO_IDLE),
    ]
    for s, d in (
        ('xen_sysctl_getcpuinfo', a.GCI),
        ('xen_domctl_getvcpuinfo', a.VI),
        ('xen_sysctl_readconsole', a.RC),
    ):
        for f, v in d.items():
            e.append(('%s(struct %s, %s)' % (o, s, f), v))
    for f, _ in abi.DI_FIELDS:
        e.append(('%s(struct xen_domctl_getdomaininfo, %s)' % (o, f), a.DI[f]))
    for name in (
        'dying',
        'hvm_guest',
        'shutdown',
        'paused',
        'blocked',
        'running',
        'debugged',
        'xs_domain',
        'hap',
    ):
        e.append(('XEN_DOMINF_' + name, getattr(abi, 'DOMINF_' + name)))
    for name in ('poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'):
        e.append(('SHUTDOWN_' + name, getattr(abi, 'SHUTDOWN_' + name)))
    for f, v in a.CD.items():
        if v is not None:
            e.append(('%s(struct xen_domctl_createdomain, %s)' % (o, f), v))
    e.append(('sizeof(struct xen_domctl_createdomain)', a.CD_SIZE))
    return e


@pytest.mark.parametrize('release,arch', CASES)
def test_facade_names_match_compiler(release, arch, tmp_path):
    major, minor = (int(x) for x in release.split('.'))
    a, note = abi.select(major, minor, arch)
    assert note is None  # generated for exactly this release
    assert a.release == (major, minor) and a.arch == arch
    exprs = facade_expectations(a)
    compare(exprs, compiler_values(release, arch, exprs, tmp_path), 'monitor/stubmon/abi.py')


@pytest.mark.parametrize('release,arch', CASES)
def test_record_format_matches_the_compiler(release, arch, tmp_path):
    """The record's one format string puts each field at its C offset."""
    import struct

    major, minor = (int(x) for x in release.split('.'))
    a = abi.Abi((major, minor), arch)
    # offsets the format yields, field by field
    fmt = a.DI_FORMAT
    assert struct.calcsize(fmt) == a.DI_SIZE
    offs, i, pos = {}, 0, 0
    names = [f for f, _ in sorted(abi.DI_FIELDS, key=lambda f: a.DI[f[0]])]
    for tok in __import__('re').findall(r'(\d*)([a-zA-Z])', fmt[1:]):
        n = int(tok[0] or 1)
        if tok[1] == 'x':
            pos += n
            continue
        offs[names[i]] = pos
        pos += n if tok[1] == 's' else struct.calcsize('<' + tok[1])
        i += 1
    exprs = [('offsetof(struct xen_domctl_getdomaininfo, %s)' % f, offs[f]) for f in offs]
    compare(exprs, compiler_values(release, arch, exprs, tmp_path), 'the record format')


def test_createdomain_layout_moved_in_4_20():
    assert abi.Abi((4, 17), 'x86_64').CD['altp2m_opts'] is None
    assert abi.Abi((4, 20), 'x86_64').CD['altp2m_opts'] == 48
    assert abi.Abi((4, 20), 'aarch64').CD_SIZE == 72


def test_what_every_release_shares_is_the_same_in_each():
    for arch in ARCHES:
        idx = __import__('xenabi_' + arch)
        seen = [abi.stable_constants(abi.layouts(r, arch), idx)[0] for r in idx.RELEASES]
        for s in seen[1:]:
            common = set(s) & set(seen[0])
            assert dict((k, s[k]) for k in common) == dict((k, seen[0][k]) for k in common)


@pytest.mark.parametrize('release', RELEASES)
def test_interface_versions_match_headers(release):
    found = xenshared.header_versions(include_dir(release))
    major, minor = (int(x) for x in release.split('.'))
    for arch in ARCHES:
        idx = __import__('xenabi_' + arch)
        assert idx.VERSIONS[(major, minor)] == (found['sysctl'], found['domctl'])
    assert found['sysctl'] in abi.SYSCTL_VERSIONS and found['domctl'] in abi.DOMCTL_VERSIONS


def test_no_hand_written_offsets_left_in_c():
    # modxen.c takes its buffer sizes from the generated header
    src = open(os.path.join(TOP, 'port-xen', 'modxen.c')).read()
    assert 'xenabi_sizes.h' in src
    assert not re.search(r'#define\s+\w*SIZE\s+\d', src)
