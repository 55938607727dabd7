# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads port-xen/modxen.c)
"""The unit tests' fake `xen` module (tests/unit/fake/xen.py) has every name
the image's `xen` module exports, of the same kind (a function or a value),
so that the monitor calls them as they are and probes for none."""

import os
import re

import xen  # the fake

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def image_names():
    """{name: 'function' | 'value'} of modxen.c's globals table, both
    variants' (the test variant's entries under STUBMON_TEST_HOOKS), and
    the names its __getattr__ answers."""
    with open(os.path.join(TOP, 'port-xen', 'modxen.c')) as f:
        src = f.read()
    table = src.split('xen_module_globals_table[] = {', 1)[1].split('};', 1)[0]
    names = {}
    for name, value in re.findall(r'MP_ROM_QSTR\(MP_QSTR_(\w+)\), (MP_ROM_\w+\([^)]*\))', table):
        names[name] = (
            'function'
            if value.startswith('MP_ROM_PTR(&xen_')
            and value.endswith('_obj)')
            and name not in ('platform', 'arch')
            else 'value'
        )
    del names['__name__']
    if '__getattr__' in names:
        del names['__getattr__']
        body = src.split('xen___getattr__(mp_obj_t attr) {', 1)[1].split('\n}', 1)[0]
        for name in re.findall(r'MP_QSTR_(\w+)', body):
            names[name] = 'value'
    return names


def test_the_table_was_read():
    names = image_names()
    assert len(names) > 20
    assert names['sysctl'] == 'function' and names['platform'] == 'value'
    assert names['cmdline_max'] == 'value'  # through __getattr__: the table is const


def test_the_fake_has_every_name_of_the_image():
    missing, wrong = [], []
    for name, kind in sorted(image_names().items()):
        if not hasattr(xen, name):
            missing.append(name)
        elif callable(getattr(xen, name)) != (kind == 'function'):
            wrong.append(name)
    assert missing == [] and wrong == [], (missing, wrong)


def test_the_image_table_is_const():
    with open(os.path.join(TOP, 'port-xen', 'modxen.c')) as f:
        src = f.read()
    assert 'static const mp_rom_map_elem_t xen_module_globals_table[]' in src
