# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (walks the tree with pathlib)
"""pytest's default (prepend) import mode imports every test file by its
basename, so two test_X.py under tests/ stop the whole run at collection
(`make test` failed that way once). Caught here, in the unit tests."""

import collections
import pathlib

TESTS = pathlib.Path(__file__).resolve().parent.parent


def test_every_test_module_basename_is_unique():
    seen = collections.defaultdict(list)
    for p in TESTS.rglob("*.py"):
        if "fake" in p.parts or "__pycache__" in p.parts:
            continue
        seen[p.name].append(str(p.relative_to(TESTS)))
    clashes = {n: ps for n, ps in seen.items() if len(ps) > 1 and n != "conftest.py"}
    assert not clashes, clashes
