# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (files, gzip, make)
# tools/xenshared.py and its users: the releases found in a directory laid
# out like ../shared/xen (X.Y.Z/include/xen, xen-X.Y.Z-amd64.gz), the reason
# given for a missing one, the hypervisor unpacked once; gen.py taking
# those headers beside Debian's; make saying once that they were skipped.
import gzip
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools'))
sys.path.insert(0, os.path.join(TOP, 'tools', 'xenabi'))
import gen  # noqa: E402
import xenshared  # noqa: E402

SKIP_LINE = 'xenabi: no Xen 4.21/4.22 headers in'


def shared_tree(tmp_path, releases=('4.21.2', '4.22.0'), arches=('amd64',)):
    root = tmp_path / 'shared' / 'xen'
    for r in releases:
        (root / r / 'include' / 'xen').mkdir(parents=True)
        for a in arches:
            with gzip.open(str(root / r / ('xen-%s-%s.gz' % (r, a))), 'wb') as f:
                f.write(b'XEN ' + r.encode())
    (root / 'README.md').parent.mkdir(parents=True, exist_ok=True)
    (root / 'README.md').write_text('not a release\n')
    (root / 'notes').mkdir()  # no X.Y.Z name: ignored
    return root


def test_releases_and_missing_reasons(tmp_path):
    root = shared_tree(tmp_path)
    assert sorted(xenshared.releases(str(root))) == ['4.21', '4.22']
    assert xenshared.include_dir('4.22', str(root)) == str(root / '4.22.0' / 'include')
    assert xenshared.available('x86_64', str(root)) == ('4.21', '4.22')
    assert xenshared.available('aarch64', str(root)) == ()  # no arm64 .gz in this tree
    assert xenshared.missing_reason('4.21', 'x86_64', str(root)) is None
    why = xenshared.missing_reason('4.21', 'aarch64', str(root))
    assert why == 'no %s' % (root / '4.21.2' / 'xen-4.21.2-arm64.gz')
    why = xenshared.missing_reason('4.23', 'x86_64', str(root))
    assert why == 'no Xen 4.23.N/ with include/xen/ under %s' % root
    gone = str(tmp_path / 'nowhere')
    assert xenshared.releases(gone) == {}
    assert xenshared.missing_reason('4.21', 'x86_64', gone).startswith(
        'no %s (Xen 4.21 comes from ../shared/xen' % gone
    )


def test_newest_patch_level_wins(tmp_path):
    root = shared_tree(tmp_path, releases=('4.21.1', '4.21.2', '4.21.10'))
    assert xenshared.releases(str(root)) == {'4.21': str(root / '4.21.10')}


def test_hypervisor_unpacked_once(tmp_path, monkeypatch):
    root = shared_tree(tmp_path)
    monkeypatch.setenv('XEN_SHARED', str(root))
    cache = str(tmp_path / 'cache')
    path = xenshared.hypervisor('4.22', 'x86_64', cache)
    assert path == os.path.join(cache, 'xen-4.22.0-amd64')
    assert open(path, 'rb').read() == b'XEN 4.22.0'
    stamp = os.path.getmtime(path)
    assert (
        xenshared.hypervisor('4.22', 'x86_64', cache) == path and os.path.getmtime(path) == stamp
    )
    try:
        xenshared.hypervisor('4.22', 'aarch64', cache)
        assert False, 'no arm64 hypervisor in this tree'
    except FileNotFoundError as e:
        assert str(e).endswith('xen-4.22.0-arm64.gz')


def test_gen_takes_shared_headers_beside_debian(tmp_path):
    deps = tmp_path / 'pkg'
    for v in ('4.17', '4.20', '4.21'):  # Debian's 4.21, if it had one, wins
        (deps / ('libxen-dev-' + v) / 'usr' / 'include' / 'xen').mkdir(parents=True)
    root = shared_tree(tmp_path)
    rels = gen.releases(str(deps), str(root))
    assert [r for r, _ in rels] == [(4, 17), (4, 20), (4, 21), (4, 22)]
    assert dict(rels)[(4, 21)] == str(deps / 'libxen-dev-4.21' / 'usr' / 'include')
    assert dict(rels)[(4, 22)] == str(root / '4.22.0' / 'include')
    assert [r for r, _ in gen.releases(str(deps), str(tmp_path / 'none'))] == [
        (4, 17),
        (4, 20),
        (4, 21),
    ]


def test_stale_release_modules_removed(tmp_path):
    # every release's layouts are in xenabi_<arch>.py now: the per-release
    # modules an older generator wrote would be frozen too
    d = tmp_path / 'x86_64'
    d.mkdir()
    for f in ('xenabi_4_17_x86_64.py', 'xenabi_4_22_x86_64.py', 'xenabi_x86_64.py', 'other.py'):
        (d / f).write_text('')
    assert gen.remove_stale(str(d), 'x86_64') == 2
    assert sorted(os.listdir(str(d))) == ['other.py', 'xenabi_x86_64.py']


def make_dry(args):
    r = subprocess.run(
        ['make', '-n', '-C', TOP] + args, capture_output=True, text=True, timeout=120
    )
    return r.stdout + r.stderr


def test_make_says_once_that_4_21_and_4_22_were_skipped(tmp_path):
    out = make_dry(['xenabi', 'XEN_SHARED=' + str(tmp_path / 'none')])
    lines = [l for l in out.splitlines() if l.startswith(SKIP_LINE)]
    assert len(lines) == 1, out
    assert str(tmp_path / 'none') in lines[0] and 'layouts of 4.20' in lines[0]
    # the image's make runs port-xen's make, which reads the same file: still once
    out = make_dry(['image', 'BOARD=x86_64', 'XEN_SHARED=' + str(tmp_path / 'none')])
    assert len([l for l in out.splitlines() if l.startswith(SKIP_LINE)]) == 1, out
    # with the headers there, nothing is said and gen.py is given them
    root = shared_tree(tmp_path)
    out = make_dry(['xenabi', 'XEN_SHARED=' + str(root)])
    assert SKIP_LINE not in out
    assert '--shared %s ' % root in out, out  # a new set of releases: regenerated


def test_tests_get_a_users_environment():
    # make test runs pytest without its own state: the tests' own make runs
    # (above) must behave as a user's from a shell. A leaked say-once flag
    # hid the skip line from a fresh clone without ../shared.
    for name in ('XENABI_SHARED_SAID', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'):
        assert name not in os.environ, name
