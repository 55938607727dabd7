# SPDX-License-Identifier: MIT
# Lets pytest import the monitor's modules and the fake `xen` module the way
# MicroPython does with MICROPYPATH=monitor:tests/unit/fake.
import os
import subprocess
import sys

import pytest

_top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The layouts generated from Xen's headers (tools/xenabi): brought up to
# date first (a no-op when they are), both arches on the path.
XENABI_DIRS = [os.path.join(_top, 'build', 'xenabi', _a) for _a in ('x86_64', 'aarch64')]
# Under pytest-xdist every worker imports this file: one make at a time
# (tools/buildlock.py), the others then find the layouts up to date.
sys.path.insert(0, os.path.join(_top, 'tools'))
import buildlock  # noqa: E402

if os.path.isdir(os.path.join(_top, '.deps', 'pkg')):
    with buildlock.locked():
        subprocess.run(
            ['make', '-s', '-C', _top, os.path.join(_top, 'build', 'xenabi', 'stamp')], check=True
        )
# The example scripts (examples/*/) import as watchdog, csvlog.
EXAMPLE_DIRS = [os.path.join(_top, 'examples', _e) for _e in ('watchdog', 'csvlog')]
for _p in (
    XENABI_DIRS
    + EXAMPLE_DIRS
    + [
        os.path.join(_top, 'exporter'),
        os.path.join(_top, 'tests', 'unit', 'fake'),
        os.path.join(_top, 'monitor'),
        os.path.join(_top, 'tests', 'unit'),
    ]
):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def pytest_report_header(config):
    # the exact package versions fetched by tools/deps.sh, for the record
    path = os.path.join(_top, '.deps', 'versions.txt')
    if os.path.exists(path):
        with open(path) as f:
            return ['fetched: ' + ', '.join(l.strip() for l in f if l.strip())]
    return ['fetched: nothing yet (run make deps)']


# `make test` runs the suite on two pytest-xdist workers (-n 2 --dist
# loadfile --no-loadscope-reorder): a test file goes whole to one worker (its
# module fixtures boot once), the files in collection order, the next one to
# whichever worker is nearly done. The files that take longest go first, so
# that the last ones handed out are short and both workers end about
# together. Longest first as measured serially (docs/tests.md); a file not
# listed keeps its place after these. Serial runs keep pytest's own order.
LONGEST_FIRST = [
    'tests/boot/test_micropython_suite.py',
    'tests/unit/test_under_micropython.py',
    'tests/boot/test_matrix.py',
    'tests/boot/test_repl.py',
    'tests/boot/test_xl_x86_64.py',
    'tests/boot/test_xl_flask_420.py',
    'tests/boot/test_x86_64_cmdline.py',
    'tests/boot/test_port_modules.py',
    'tests/boot/test_repl_domu.py',
    'tests/boot/test_x86_64.py',
    'tests/boot/test_examples.py',
    'tests/boot/test_arm64.py',
]


# Files whose checks are about time on a quiet host (the poll grid to the
# microsecond, Xen's watchdog within a second and a half, CPU per poll, the
# storm's rate): marked `alone` (pytestmark), they run last and alone, the
# other worker waiting (an fcntl lock, build/.lock-run: every other test
# holds it shared, an `alone` file exclusive from its first test to its
# last), so they see the host as a serial run does. Under parallel load they
# lost grid points to stalls of the other QEMU (docs/tests.md).
def pytest_configure(config):
    config.addinivalue_line(
        'markers',
        'alone: under pytest-xdist, run with no other test running '
        '(timing checks; tests/conftest.py)',
    )


def _alone(item):
    return item.get_closest_marker('alone') is not None


@pytest.hookimpl(trylast=True)  # after pytest's own grouping by fixture
def pytest_collection_modifyitems(config, items):
    if not hasattr(config, 'workerinput'):  # not an xdist worker
        return
    rank = {f: i for i, f in enumerate(LONGEST_FIRST)}
    items.sort(
        key=lambda item: (
            len(rank) + 1 if _alone(item) else rank.get(item.nodeid.split('::')[0], len(rank))
        )
    )  # stable


_run_lock = {'file': None, 'gate': None, 'exclusive': False}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Setup, call and teardown of each test (module fixtures boot in the
    setup of their first test) under build/.lock-run: shared, or exclusive
    for the `alone` tests, held over a run of them until the next test is
    not one (the other worker cannot cut in between)."""
    if not hasattr(item.config, 'workerinput'):
        return (yield)
    import fcntl

    lk = _run_lock
    if lk['file'] is None:
        os.makedirs(os.path.join(_top, 'build'), exist_ok=True)
        lk['file'] = open(os.path.join(_top, 'build', '.lock-run'), 'a')
        lk['gate'] = open(os.path.join(_top, 'build', '.lock-run-gate'), 'a')
    if not lk['exclusive']:
        lk['exclusive'] = _alone(item)
        # through the gate: a worker waiting to run alone holds it, so the
        # other one cannot take the shared lock again in between its tests
        fcntl.flock(lk['gate'], fcntl.LOCK_EX)
        fcntl.flock(lk['file'], fcntl.LOCK_EX if lk['exclusive'] else fcntl.LOCK_SH)
        fcntl.flock(lk['gate'], fcntl.LOCK_UN)
    try:
        return (yield)
    finally:
        if not (lk['exclusive'] and nextitem is not None and _alone(nextitem)):
            lk['exclusive'] = False
            fcntl.flock(lk['file'], fcntl.LOCK_UN)
