# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads the tree through git)
# Every source file carries the SPDX tag of the project's licence (MIT,
# LICENSE); tools/spdx.py adds it where it is missing.
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools'))
import spdx  # noqa: E402


def test_the_licence_is_mit():
    text = open(os.path.join(TOP, 'LICENSE')).read()
    assert text.startswith('The MIT License (MIT)') and 'The stubmon authors' in text


def test_every_source_file_has_the_spdx_tag():
    files = spdx.sources()
    assert len(files) > 100 and 'port-xen/main.c' in files and 'monitor/stubmon/record.py' in files
    missing = [p for p in files if not spdx.tagged(open(os.path.join(TOP, p)).read())]
    assert not missing, missing
