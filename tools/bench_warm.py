# SPDX-License-Identifier: MIT
"""`make bench --only warm`: what a first run costs under QEMU's TCG.

QEMU translates each block of guest code the first time it runs. A C
monitor runs little code before its first row; MicroPython runs its
interpreter, importer and runtime, and each of their paths is translated
on its first use. tools/warm/main.py (a script image on the stubmon
library, the test variant) does the monitor's start twice in one boot:
import every module the start imports, then Monitor.run() to the end of
poll 1 (count=1: version, options, probe, watchdog, events, poll 1's
table and stats line). The second time runs the same bytecode over C
code already translated: what the first time costs beyond it is
translation, not the monitor's work.

Medians of 3 boots per boot mode, Xen 4.20.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

APP = "warm"
WARM_LINE = re.compile(r"^stubmon warm: (.*)$")
KEYS = ("entry_to_main_us", "import_us", "import_again_us", "run_us", "run_again_us")


def build(board):
    subprocess.run(
        [
            "nice",
            "-n",
            "5",
            "make",
            "-s",
            "-C",
            os.path.join(boot.REPO, "port-xen"),
            "BOARD=" + board,
            "VARIANT=test",
            "APP=tools/" + APP,
            "-j2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return boot.image_path(board, APP)


def figures(lines):
    """{key: us} of the "stubmon warm:" line, or None."""
    for line in lines:
        m = WARM_LINE.match(line)
        if m:
            kv = dict(w.split("=") for w in m.group(1).split())
            return {k: int(kv[k]) for k in KEYS}
    return None


def compare(board, boot_to_poll_1, median, xen="4.20", runs=3):
    """boot_to_poll_1, median: bench.py's (one boot that ends after poll 1;
    the median of a list)."""
    image = build(board)
    mod = boot.load_board(board)
    print(
        "  first run against the same work again in the same boot (xen %s, medians of %d boots),"
        " ms:" % (xen, runs)
    )
    for mode in getattr(mod, "MODES", None) or (None,):
        if board == "arm64" and mode != "dom0":
            continue  # the dom0less kinds start the same code later
        got = []
        for _ in range(runs):
            res = boot_to_poll_1(board, xen, mode, image)
            f = figures(res.lines) if res.guest_exit == 0 else None
            if f:
                got.append(f)
        if not got:
            print("    %s: no run succeeded" % mode)
            continue
        m = {k: median([g[k] for g in got]) / 1000 for k in KEYS}
        first = m["import_us"] + m["run_us"]
        again = m["import_again_us"] + m["run_again_us"]
        print(
            "    %-8s entry->main.py %5.1f   import %5.1f, again %4.1f   set-up and poll 1 %5.1f,"
            " again %4.1f   first-run excess %5.1f of %5.1f"
            % (
                mode or board,
                m["entry_to_main_us"],
                m["import_us"],
                m["import_again_us"],
                m["run_us"],
                m["run_again_us"],
                first - again,
                m["entry_to_main_us"] + first,
            )
        )
    print(
        "    (again: the same bytecode over C code TCG has translated by then; the excess is"
        " translation, which a C monitor's few paths barely pay)"
    )
