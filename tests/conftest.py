# SPDX-License-Identifier: MIT
# Lets pytest import the monitor's modules and the fake `xen` module the way
# MicroPython does with MICROPYPATH=monitor:tests/unit/fake.
import os
import subprocess
import sys

_top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The layouts generated from Xen's headers (tools/xenabi): brought up to
# date first (a no-op when they are), both arches on the path.
XENABI_DIRS = [os.path.join(_top, 'build', 'xenabi', _a) for _a in ('x86_64', 'aarch64')]
if os.path.isdir(os.path.join(_top, '.deps', 'pkg')):
    subprocess.run(['make', '-s', '-C', _top, os.path.join(_top, 'build', 'xenabi', 'stamp')], check=True)
# The example scripts (examples/*/) import as watchdog, csvlog.
EXAMPLE_DIRS = [os.path.join(_top, 'examples', _e) for _e in ('watchdog', 'csvlog')]
for _p in XENABI_DIRS + EXAMPLE_DIRS + [os.path.join(_top, 'exporter'), os.path.join(_top, 'tests', 'unit', 'fake'),
                                        os.path.join(_top, 'monitor'), os.path.join(_top, 'tests', 'unit')]:
    if _p not in sys.path:
        sys.path.insert(0, _p)


def pytest_report_header(config):
    # the exact package versions fetched by tools/deps.sh, for the record
    path = os.path.join(_top, '.deps', 'versions.txt')
    if os.path.exists(path):
        with open(path) as f:
            return ['fetched: ' + ', '.join(l.strip() for l in f if l.strip())]
    return ['fetched: nothing yet (run make deps)']
