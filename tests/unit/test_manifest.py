# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (loads MicroPython's tools/manifestfile.py)
# The freeze manifest must freeze every monitor module, main as `main`, and
# nothing else (no manifest.py itself).
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def frozen_by(variant):
    """The files monitor/manifest.py freezes into an image of that
    variant (port-xen/variants/VARIANT/manifest.py)."""
    sys.path.insert(0, os.path.join(TOP, '.deps', 'micropython', 'tools'))
    try:
        import manifestfile
    finally:
        sys.path.pop(0)
    xenabi = os.path.join(TOP, 'build', 'xenabi', 'x86_64')
    variant_manifest = os.path.join(TOP, 'port-xen', 'variants', variant, 'manifest.py')
    m = manifestfile.ManifestFile(
        manifestfile.MODE_FREEZE,
        {
            'MPY_DIR': os.path.join(TOP, '.deps', 'micropython'),
            'MPY_LIB_DIR': None,
            'XENABI_DIR': xenabi,
            'VARIANT_MANIFEST': variant_manifest,
        },
    )
    m.execute(os.path.join(TOP, 'monitor', 'manifest.py'))
    return m, xenabi


def test_production_image_freezes_no_test_hooks():
    m, _ = frozen_by('standard')
    frozen = [f.target_path for f in m.files()]
    assert 'stubmon/options.py' in frozen and 'stubmon/testopts.py' not in frozen


def test_manifest_freezes_every_monitor_module():
    m, xenabi = frozen_by('test')
    frozen = sorted(f.target_path for f in m.files())
    pkg = os.path.join(TOP, 'monitor', 'stubmon')
    want = ['main.py'] + sorted('stubmon/' + f for f in os.listdir(pkg) if f.endswith('.py'))
    # plus the generated layouts of the image's arch, and nothing else
    gen = sorted(f for f in os.listdir(xenabi) if f.endswith('.py'))
    assert gen == ['xenabi_x86_64.py']  # one module: every release's layouts
    assert 'stubmon/__init__.py' in want
    assert frozen == sorted(want + gen)
    assert 'main.py' in frozen
    for f in m.files():
        assert os.path.dirname(f.full_path) in (os.path.join(TOP, 'monitor'), pkg, xenabi)
