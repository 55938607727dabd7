# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs make bench's decode part under the MicroPython unix port)
"""make bench's decode part (tools/bench_decode.py) runs against the
monitor's current API: it once called Figures.end() without the listing
and printed a traceback instead of its figures."""

import os
import re
import subprocess

from test_under_micropython import TOP, micropython


def test_bench_decode_prints_its_figures():
    env = dict(
        os.environ,
        MICROPYPATH=os.pathsep.join(
            [os.path.join(TOP, p) for p in ("monitor", "build/xenabi/x86_64", "tests/unit/fake")]
        ),
    )
    r = subprocess.run(
        [micropython("unix"), os.path.join(TOP, "tools", "bench_decode.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert re.search(r"format 1000 domains .* table \d+ us", r.stdout), r.stdout
    assert re.search(r"decode 1000 records .* \d+\.\dx$", r.stdout.strip()), r.stdout
