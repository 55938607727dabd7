# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (host tooling; mprun.py never runs this module)
"""tools/dom0/xlboot.py's FLASK plumbing, without booting: which policy/*.te
each release and architecture gets, where Xen 4.20's FLASK hypervisor and
policy sources come from (../shared/xen, XEN_SHARED=) and what is said when
they are missing, and the Xen command lines (flask=, xsm=flask and the
xen,xsm-policy module on arm64)."""

import gzip
import os
import shutil
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools', 'dom0'))
import xlboot  # noqa: E402


def names(xen, arch):
    return [os.path.basename(m) for m in xlboot.policy_module_files(xen, arch)]


def test_modules_per_release_and_architecture():
    assert names('4.17', 'amd64') == ['stubmon.te', 'stubmon_x86_64.te']
    assert names('4.17', 'arm64') == ['stubmon.te', 'stubmon_arm64.te']
    assert names('4.20', 'amd64') == ['stubmon.te', 'stubmon_x86_64.te', 'stubmon_xen420.te']
    assert names('4.20', 'arm64') == ['stubmon.te', 'stubmon_arm64.te', 'stubmon_xen420.te']
    assert names('4.22', 'amd64') == names('4.20', 'amd64')  # "4.20 and later"
    assert xlboot.policy_module_files() == xlboot.policy_module_files('4.17', 'amd64')


def test_a_later_release_file_and_a_users_own_module(tmp_path, monkeypatch):
    pol = tmp_path / 'policy'
    pol.mkdir()
    for f in (
        'stubmon.te',
        'stubmon_x86_64.te',
        'stubmon_arm64.te',
        'stubmon_xen420.te',
        'stubmon_xen422.te',
        'mine.te',
        'README',
    ):
        (pol / f).write_text('')
    monkeypatch.setattr(xlboot, 'REPO', str(tmp_path))
    assert names('4.20', 'amd64') == [
        'mine.te',
        'stubmon.te',
        'stubmon_x86_64.te',
        'stubmon_xen420.te',
    ]
    assert names('4.22', 'arm64') == [
        'mine.te',
        'stubmon.te',
        'stubmon_arm64.te',
        'stubmon_xen420.te',
        'stubmon_xen422.te',
    ]
    assert names('4.17', 'arm64') == ['mine.te', 'stubmon.te', 'stubmon_arm64.te']


def fake_shared(root, hypervisor=b'\x7fELF xen'):
    d = root / 'flask-4.20.4'
    (d / 'src' / 'tools' / 'flask' / 'policy').mkdir(parents=True)
    (d / 'src' / 'xen' / 'xsm' / 'flask' / 'policy').mkdir(parents=True)
    (d / 'src' / 'tools' / 'flask' / 'policy' / 'Makefile.common').write_text('')
    (d / 'src' / 'xen' / 'xsm' / 'flask' / 'policy' / 'access_vectors').write_text('')
    with gzip.open(d / 'xen-4.20.4-amd64-flask.gz', 'wb') as f:
        f.write(hypervisor)
    return d


def test_missing_shared_is_said_with_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv('XEN_SHARED', str(tmp_path / 'nowhere'))
    why = xlboot.flask_missing('4.20', 'amd64')
    assert why.startswith('no %s' % (tmp_path / 'nowhere' / 'flask-4.20.4')), why
    assert 'XEN_SHARED' in why
    assert xlboot.flask_missing('4.20', 'arm64')  # the policy sources are needed there too
    assert xlboot.flask_missing('4.17', 'amd64') is None  # built from Debian's source instead


def test_arm64_needs_only_the_policy_sources(tmp_path, monkeypatch):
    d = fake_shared(tmp_path)
    os.remove(d / 'xen-4.20.4-amd64-flask.gz')
    monkeypatch.setenv('XEN_SHARED', str(tmp_path))
    assert xlboot.flask_missing('4.20', 'arm64') is None
    assert 'xen-4.20.4-amd64-flask.gz' in xlboot.flask_missing('4.20', 'amd64')


def test_hypervisor_unpacked_into_build_not_the_sources(tmp_path, monkeypatch):
    shared = tmp_path / 'shared'
    d = fake_shared(shared, b'\x7fELF the hypervisor')
    repo = tmp_path / 'repo'
    repo.mkdir()
    monkeypatch.setenv('XEN_SHARED', str(shared))
    monkeypatch.setattr(xlboot, 'REPO', str(repo))
    out = xlboot.flask_hypervisor('4.20', 'amd64')
    assert out == str(repo / 'build' / 'xen' / 'xen-4.20.4-amd64-flask')
    with open(out, 'rb') as f:
        assert f.read() == b'\x7fELF the hypervisor'
    assert sorted(os.listdir(d)) == ['src', 'xen-4.20.4-amd64-flask.gz']
    assert xlboot.policy_sources('4.20') == str(d / 'src')
    assert xlboot.flask_hypervisor('4.20', 'arm64') == os.path.join(xlboot.DEPS, 'xen-4.20-arm64')
    assert xlboot.flask_hypervisor('4.17', 'amd64') == os.path.join(
        xlboot.DEPS, 'xen-flask-4.17', 'xen'
    )


def test_build_policy_copies_read_only_sources(tmp_path, monkeypatch):
    """../shared is read-only: the copy the build writes into must not be."""
    if not shutil.which('checkpolicy') or not shutil.which('m4'):
        pytest.skip('no checkpolicy/m4 (tools/deps.sh installs them)')
    why = xlboot.flask_missing('4.20', 'arm64')
    if why:
        pytest.skip(why)
    out = xlboot.build_policy(str(tmp_path), modules=[], xen='4.20')
    with open(out, 'rb') as f, open(
        os.path.join(xlboot.flask_shared_dir('4.20'), 'xenpolicy-4.20.4'), 'rb'
    ) as g:
        assert f.read() == g.read()  # the stock policy, byte for byte, as ../shared's README says


def test_xen_command_lines():
    x = xlboot.qemu_command('xen', 'vmlinux', 'initrd', 'pol', True)
    assert x[x.index('-append') + 1].endswith(' flask=enforcing')
    assert x[x.index('-initrd') + 1] == 'vmlinux console=hvc0 rdinit=/init loglevel=3,initrd,pol'
    x = xlboot.qemu_command('xen', 'vmlinux', 'initrd', 'pol', 'permissive')
    assert x[x.index('-append') + 1].endswith(' flask=permissive')
    x = xlboot.qemu_command('xen', 'vmlinux', 'initrd')
    assert 'flask=' not in x[x.index('-append') + 1]


def test_arm64_policy_module_in_the_device_tree(tmp_path):
    for tool in ('qemu-system-aarch64', 'dtc'):
        if not shutil.which(tool):
            pytest.skip('no %s (tools/deps.sh installs it)' % tool)
    files = []
    for name, size in (('Image', 3 << 20), ('initrd', 5 << 20), ('xenpolicy', 11035)):
        p = tmp_path / name
        p.write_bytes(b'\0' * size)
        files.append(str(p))
    cmd = xlboot.arm64_qemu_command(*files[:2], policy=files[2], flask=True)
    assert cmd[cmd.index('-append') + 1].endswith(' xsm=flask flask=enforcing')
    loaders = [
        cmd[i + 1]
        for i, a in enumerate(cmd)
        if a == '-device' and cmd[i + 1].startswith('loader,')
    ]
    assert [l.split(',')[1] for l in loaders] == ['file=' + f for f in files]
    addrs = [int(l.split('addr=')[1].split(',')[0], 16) for l in loaders]
    assert addrs == sorted(addrs) and all(a % 0x200000 == 0 for a in addrs[1:])
    assert addrs[2] >= addrs[1] + (5 << 20)  # the policy after the initrd, not over it
    with open(cmd[cmd.index('-dtb') + 1] + '.dts') as f:
        dts = f.read()
    assert '"xen,xsm-policy", "multiboot,module"' in dts
    assert 'reg = <0x0 0x%x 0x0 0x%x>;' % (addrs[2], 11035) in dts
    assert 'xsm=flask flask=enforcing' in dts.split('xen,xen-bootargs')[1].split(';')[0]
    # without a policy: the board's own command, unchanged
    plain = xlboot.arm64_qemu_command(*files[:2])
    assert 'xsm=flask' not in plain[plain.index('-append') + 1]
    assert len([a for a in plain if a.startswith('loader,')]) == 2
