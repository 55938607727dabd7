# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (the driver; mprun.py never runs this module)
# Runs every portable unit test module under the real MicroPython unix port
# via mprun.py: build/unix-core/micropython (CORE features, no float, like the
# image) and build/unix/micropython (standard variant). Builds them with
# tools/build-unix-micropython.sh when missing.
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'tools'))
import buildlock  # noqa: E402

MARKER = 'CPYTHON_ONLY = True'


def portable_modules():
    mods = []
    for f in sorted(os.listdir(HERE)):
        if f.startswith('test_') and f.endswith('.py'):
            with open(os.path.join(HERE, f)) as fh:
                if MARKER in fh.read():
                    continue
            mods.append(f[:-3])
    return mods


def micropython(build):
    exe = os.path.join(TOP, 'build', build, 'micropython')
    with buildlock.locked('unix-micropython'):  # one build of both, whichever worker comes first
        if not os.path.exists(exe):
            subprocess.run(
                ['bash', os.path.join(TOP, 'tools', 'build-unix-micropython.sh')], check=True
            )
    return exe


def test_cpython_only_modules_are_marked():
    mods = portable_modules()
    for m in ('test_abi_offsets', 'test_manifest', 'test_under_micropython'):
        assert m not in mods
    assert 'test_app' in mods and 'test_options' in mods


@pytest.mark.parametrize('build', ['unix-core', 'unix'])
def test_unit_tests_pass_under_micropython(build):
    exe = micropython(build)
    env = dict(os.environ)
    env['MICROPYPATH'] = os.pathsep.join(
        [os.path.join(TOP, 'monitor'), os.path.join(HERE, 'fake'), HERE]
        + [os.path.join(TOP, 'build', 'xenabi', a) for a in ('x86_64', 'aarch64')]
        + [os.path.join(TOP, 'examples', e) for e in ('watchdog', 'csvlog')]
    )
    mods = portable_modules()
    r = subprocess.run(
        [exe, '-X', 'heapsize=8M', os.path.join(HERE, 'mprun.py')] + mods,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = r.stdout + r.stderr
    last = out.strip().splitlines()[-1] if out.strip() else ''
    words = last.split()
    assert len(words) == 4 and words[1] == 'passed,' and words[3] == 'failed', out
    passed, failed = int(words[0]), int(words[2])
    assert failed == 0 and r.returncode == 0, out
    assert passed > 0, out
