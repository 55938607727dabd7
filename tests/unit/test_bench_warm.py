# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs the script in a process of its own; reads tools/bench_warm.py)
# make bench --only warm: tools/warm/main.py starts the monitor twice in one
# run and says the line tools/bench_warm.py reads. Run against the fake
# hypervisor in a process of its own: it drops and imports the stubmon
# modules again, which this process's other tests hold.
import os
import subprocess
import sys

import bench_warm

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the layouts tests/conftest.py brought up to date (tests/boot has a conftest
# of its own: `import conftest` may find either)
XENABI_DIRS = [os.path.join(TOP, 'build', 'xenabi', a) for a in ('x86_64', 'aarch64')]
SCRIPT = os.path.join(TOP, 'tools', 'warm', 'main.py')
DRIVER = """
import xen
xen.reset(cmdline='interval=1 count=1 stats=1 exit=qemu')
try:
    exec(open(%r).read())
except xen.Exited as e:
    print('exited', e.args)
"""


def test_the_warm_script_starts_the_monitor_twice_and_says_its_figures():
    path = [os.path.join(TOP, 'monitor'), os.path.join(TOP, 'tests', 'unit', 'fake')]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path + XENABI_DIRS))
    done = subprocess.run(
        [sys.executable, '-c', DRIVER % SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[-1] == "exited ('qemu_exit', 0)", lines[-5:]
    # each start ran to its own poll 1: a table and a stats line each
    assert len([l for l in lines if l.startswith('stubmon: stats ')]) == 2
    assert len([l for l in lines if l.startswith('stubmon: x86_64')]) == 2
    f = bench_warm.figures(lines)
    assert f is not None and sorted(f) == sorted(bench_warm.KEYS)
    assert all(v >= 0 for v in f.values())
