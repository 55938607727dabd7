# CPYTHON_ONLY = True  (reads the monitor's source)
# The image is built at MicroPython's BASIC_FEATURES level: str.partition()
# and str.rpartition() (EXTRA_FEATURES) are not in it, while both unix
# builds the unit tests run under have them. A call slipped into monitor/
# once and only a boot showed it (AttributeError, fatal). Catch it here.
import os
import re

MONITOR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'monitor')
MISSING = re.compile(r'\.r?partition\(')


def test_no_str_partition_in_the_monitor():
    found = []
    for name in sorted(os.listdir(MONITOR)):
        if name.endswith('.py'):
            with open(os.path.join(MONITOR, name)) as f:
                for n, line in enumerate(f, 1):
                    code = line.split('#')[0]
                    if MISSING.search(code):
                        found.append('%s:%d: %s' % (name, n, line.strip()))
    assert not found, found
