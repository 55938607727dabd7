# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads the port's configuration)
# The image is built at MicroPython's BASIC_FEATURES level; the monitor
# uses a few things from above it (str.partition once slipped in before the
# image had it and only a boot showed it: AttributeError, fatal). Each one
# the monitor's source uses must be enabled in the image's configuration
# and in the CORE unix build the unit tests run under.
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(TOP, 'monitor', 'stubmon')
# what a call in the source needs -> the MicroPython option that provides it
NEEDS = (
    (re.compile(r'\.r?partition\('), 'MICROPY_PY_BUILTINS_STR_PARTITION'),
    (re.compile(r'\[:\] = '), 'MICROPY_PY_ARRAY_SLICE_ASSIGN'),
)


def enabled(text, option):
    return re.search(r'#define\s+%s\s+\(1\)' % option, text) is not None


def test_what_the_monitor_uses_is_in_the_image_and_the_core_build():
    src = ''
    for name in sorted(os.listdir(PKG)):
        if name.endswith('.py'):
            with open(os.path.join(PKG, name)) as f:
                src += ''.join(l.split('#')[0] + '\n' for l in f)
    port = open(os.path.join(TOP, 'port-xen', 'mpconfigport.h')).read()
    core = open(os.path.join(TOP, 'tools', 'build-unix-micropython.sh')).read()
    used = [opt for pat, opt in NEEDS if pat.search(src)]
    assert used == [opt for _, opt in NEEDS]  # both are used today
    for opt in used:
        assert enabled(port, opt), opt
        assert enabled(core, opt), opt
