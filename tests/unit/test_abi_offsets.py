# CPYTHON_ONLY = True  (needs gcc, subprocess and pytest)
# CPython only (needs gcc and subprocess): checks every offset, size and
# command number in monitor/abi.py against Xen's public headers, by compiling
# a small C program with host gcc (x86_64) and, if installed,
# aarch64-linux-gnu-gcc (built only, values read from the object file since
# it cannot run here). mprun.py never runs this module.
import os
import re
import shutil
import subprocess

import pytest

import abi

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASES = {'4.17': '4.17', '4.20': '4.20'}   # header package -> CD layout


def include_dir(release):
    return os.path.join(TOP, '.deps', 'pkg', 'libxen-dev-' + release, 'usr', 'include')


def expectations(release, arch):
    """(C expression, value abi.py claims) pairs."""
    cd = abi.CD_LAYOUTS[RELEASES[release]]
    o = 'offsetof'
    pl = 'offsetof(struct xen_sysctl, u)'
    e = [
        ('sizeof(struct xen_sysctl)', abi.SYSCTL_SIZE),
        ('offsetof(struct xen_sysctl, cmd)', abi.SYSCTL_CMD),
        ('offsetof(struct xen_sysctl, interface_version)', abi.SYSCTL_VERSION),
        (pl, abi.SYSCTL_PAYLOAD),
        ('XEN_SYSCTL_getdomaininfolist', abi.SYSCTL_getdomaininfolist),
        ('sizeof(struct xen_domctl)', abi.DOMCTL_SIZE),
        ('offsetof(struct xen_domctl, cmd)', abi.DOMCTL_CMD),
        ('offsetof(struct xen_domctl, interface_version)', abi.DOMCTL_VERSION),
        ('offsetof(struct xen_domctl, domain)', abi.DOMCTL_DOMAIN),
        ('sizeof(((struct xen_domctl *)0)->domain)', 2),
        ('offsetof(struct xen_domctl, u)', abi.DOMCTL_PAYLOAD),
        ('XEN_DOMCTL_createdomain', abi.DOMCTL_createdomain),
        ('XEN_DOMCTL_destroydomain', abi.DOMCTL_destroydomain),
        ('XEN_DOMCTL_getdomaininfo', abi.DOMCTL_getdomaininfo),
        ('XEN_DOMCTL_max_mem', abi.DOMCTL_max_mem),
        ('sizeof(struct xen_sysctl_getdomaininfolist)', abi.GDIL_SIZE),
        ('sizeof(domid_t)', 2),
        ('sizeof(xen_domain_handle_t)', abi.DI_HANDLE_LEN),
        ('DOMID_FIRST_RESERVED', abi.DOMID_FIRST_RESERVED),
        ('sizeof(struct xen_domctl_getdomaininfo)', abi.DI_SIZE[arch]),
        ('sizeof(struct xen_domctl_createdomain)', cd['size'][arch]),
        ('XEN_DOMINF_shutdownshift', abi.DOMINF_shutdownshift),
        ('XEN_DOMINF_shutdownmask', abi.DOMINF_shutdownmask),
        ('XEN_DOMCTL_CDF_hvm', abi.CDF_hvm),
        ('XEN_DOMCTL_CDF_hap', abi.CDF_hap),
        ('offsetof(struct xen_domctl_max_mem, max_memkb)', abi.MM_MAX_MEMKB),
        ('sizeof(((struct xen_domctl_max_mem *)0)->max_memkb)', 8),
        ('XENVER_version', abi.XENVER_version),
        ('XENVER_extraversion', abi.XENVER_extraversion),
        ('sizeof(xen_extraversion_t)', abi.XENVER_EXTRAVERSION_LEN),
    ]
    for f, v in (('first_domain', abi.GDIL_FIRST_DOMAIN), ('max_domains', abi.GDIL_MAX_DOMAINS),
                 ('buffer', abi.GDIL_BUFFER), ('num_domains', abi.GDIL_NUM_DOMAINS)):
        e.append(('%s(struct xen_sysctl_getdomaininfolist, %s)' % (o, f), v))
    for f, v in (('domain', abi.DI_DOMAIN), ('flags', abi.DI_FLAGS),
                 ('tot_pages', abi.DI_TOT_PAGES), ('max_pages', abi.DI_MAX_PAGES),
                 ('outstanding_pages', abi.DI_OUTSTANDING_PAGES),
                 ('shr_pages', abi.DI_SHR_PAGES), ('paged_pages', abi.DI_PAGED_PAGES),
                 ('shared_info_frame', abi.DI_SHARED_INFO_FRAME),
                 ('cpu_time', abi.DI_CPU_TIME), ('nr_online_vcpus', abi.DI_NR_ONLINE_VCPUS),
                 ('max_vcpu_id', abi.DI_MAX_VCPU_ID), ('ssidref', abi.DI_SSIDREF),
                 ('handle', abi.DI_HANDLE), ('cpupool', abi.DI_CPUPOOL),
                 ('gpaddr_bits', abi.DI_GPADDR_BITS)):
        e.append(('%s(struct xen_domctl_getdomaininfo, %s)' % (o, f), v))
    for name in ('dying', 'hvm_guest', 'shutdown', 'paused', 'blocked', 'running',
                 'debugged', 'xs_domain', 'hap'):
        e.append(('XEN_DOMINF_' + name, getattr(abi, 'DOMINF_' + name)))
    for name in ('poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'):
        e.append(('SHUTDOWN_' + name, getattr(abi, 'SHUTDOWN_' + name)))
    cdf = [('ssidref', abi.CD_SSIDREF), ('handle', abi.CD_HANDLE), ('flags', abi.CD_FLAGS),
           ('iommu_opts', abi.CD_IOMMU_OPTS), ('max_vcpus', abi.CD_MAX_VCPUS),
           ('max_evtchn_port', abi.CD_MAX_EVTCHN_PORT),
           ('max_grant_frames', abi.CD_MAX_GRANT_FRAMES),
           ('max_maptrack_frames', abi.CD_MAX_MAPTRACK_FRAMES),
           ('grant_opts', abi.CD_GRANT_OPTS)]
    for f in ('altp2m_opts', 'vmtrace_size', 'cpupool_id', 'arch'):
        if cd[f] is not None:
            cdf.append((f, cd[f]))
    for f, v in cdf:
        e.append(('%s(struct xen_domctl_createdomain, %s)' % (o, f), v))
    # payloads must fit their union
    e.append(('sizeof(struct xen_domctl_createdomain) <= sizeof(((struct xen_domctl *)0)->u)', 1))
    e.append(('sizeof(struct xen_domctl_getdomaininfo) <= sizeof(((struct xen_domctl *)0)->u)', 1))
    return e


def c_source(exprs, runnable=True):
    # runnable: a main() printing the values (host); else only the constants,
    # read back from the object file (cross compiler without a C library)
    lines = ['#include <stddef.h>', '#include <stdint.h>'] + (['#include <stdio.h>'] if runnable else []) + [
             '#include <xen/xen.h>', '#include <xen/version.h>', '#include <xen/sched.h>',
             '#include <xen/sysctl.h>', '#include <xen/domctl.h>',
             # One array per value: readable from an object file that cannot run.
             ]
    for i, (expr, _) in enumerate(exprs):
        lines.append('const unsigned long long v%d = (unsigned long long)(%s);' % (i, expr))
    if not runnable:
        return '\n'.join(lines) + '\n'
    lines.append('int main(void) {')
    for i in range(len(exprs)):
        lines.append('    printf("%%d %%llu\\n", %d, v%d);' % (i, i))
    lines.append('    return 0; }')
    return '\n'.join(lines) + '\n'


def compare(exprs, got):
    bad = []
    for i, (expr, want) in enumerate(exprs):
        if got[i] != want:
            bad.append('%s: headers say %d, abi.py says %d' % (expr, got[i], want))
    assert not bad, '\n'.join(bad)


def gcc_flags(release):
    return ['-D__XEN_TOOLS__', '-I', include_dir(release), '-std=gnu11', '-Wall', '-Werror']


@pytest.mark.parametrize('release', sorted(RELEASES))
def test_x86_64_layout_matches_headers(release, tmp_path):
    assert shutil.which('gcc'), 'no host gcc: run make deps'
    assert os.path.isdir(include_dir(release)), 'run tools/deps.sh'
    exprs = expectations(release, 'x86_64')
    src = tmp_path / 'abi.c'
    src.write_text(c_source(exprs))
    exe = tmp_path / 'abi'
    subprocess.run(['gcc'] + gcc_flags(release) + ['-o', str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        i, v = line.split()
        got[int(i)] = int(v)
    compare(exprs, got)


def read_consts_from_object(obj, n):
    # v0..vN-1 are 8-byte little-endian constants in .rodata: find each
    # symbol's section offset with nm and read it with objcopy's dump.
    nm = shutil.which('aarch64-linux-gnu-nm') or 'nm'
    objcopy = shutil.which('aarch64-linux-gnu-objcopy') or 'objcopy'
    syms = subprocess.run([nm, str(obj)], check=True, capture_output=True, text=True).stdout
    data_file = str(obj) + '.rodata'
    subprocess.run([objcopy, '-O', 'binary', '--only-section=.rodata', str(obj), data_file], check=True)
    data = open(data_file, 'rb').read()
    got = {}
    for line in syms.splitlines():
        m = re.match(r'([0-9a-f]+) [Rr] v(\d+)$', line)
        if m:
            off = int(m.group(1), 16)
            got[int(m.group(2))] = int.from_bytes(data[off:off + 8], 'little')
    assert len(got) == n
    return got


@pytest.mark.parametrize('release', sorted(RELEASES))
def test_aarch64_layout_matches_headers(release, tmp_path):
    cc = shutil.which('aarch64-linux-gnu-gcc')
    assert cc, 'aarch64-linux-gnu-gcc missing: make deps installs it'
    exprs = expectations(release, 'aarch64')
    src = tmp_path / 'abi.c'
    src.write_text(c_source(exprs, runnable=False))
    obj = tmp_path / 'abi.o'
    # -ffreestanding: the cross compiler comes without a C library's headers
    subprocess.run([cc, '-ffreestanding'] + gcc_flags(release) + ['-c', '-o', str(obj), str(src)], check=True)
    compare(exprs, read_consts_from_object(obj, len(exprs)))


@pytest.mark.parametrize('release', sorted(RELEASES))
def test_errno_names_match_headers(release):
    text = open(os.path.join(include_dir(release), 'xen', 'errno.h')).read()
    header = {}
    for name, value in re.findall(r'XEN_ERRNO\((\w+),\s*(\d+)\)', text):
        header.setdefault(int(value), set()).add(name)
    for value, name in abi.ERRNO_NAMES.items():
        assert name in header.get(value, ()), (value, name)


def test_interface_versions_of_known_releases_are_probed():
    for release in sorted(RELEASES):
        d = os.path.join(include_dir(release), 'xen')
        for hdr, cands in (('sysctl.h', abi.SYSCTL_VERSIONS), ('domctl.h', abi.DOMCTL_VERSIONS)):
            m = re.search(r'#define XEN_\w+_INTERFACE_VERSION\s+(0x[0-9a-fA-F]+)',
                          open(os.path.join(d, hdr)).read())
            assert int(m.group(1), 16) in cands, (release, hdr)


def test_createdomain_layout_choice():
    assert abi.createdomain_layout(4, 17) is abi.CD_LAYOUTS['4.17']
    assert abi.createdomain_layout(4, 20) is abi.CD_LAYOUTS['4.20']


@pytest.mark.parametrize('release', sorted(RELEASES))
def test_release_interface_versions_match_headers(release):
    found = {}
    for name in ('sysctl', 'domctl'):
        macro = 'XEN_%s_INTERFACE_VERSION' % name.upper()
        with open(os.path.join(include_dir(release), 'xen', name + '.h')) as f:
            for line in f:
                parts = line.split()
                if parts[:2] == ['#define', macro]:
                    found[name] = int(parts[2], 16)
    major, minor = (int(x) for x in release.split('.'))
    assert abi.RELEASE_VERSIONS[(major, minor)] == (found['sysctl'], found['domctl'])
    assert found['sysctl'] in abi.SYSCTL_VERSIONS and found['domctl'] in abi.DOMCTL_VERSIONS
