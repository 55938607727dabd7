#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Add the SPDX tag (MIT, see LICENSE) to every source file git tracks that
lacks it, in that file's comment syntax: `tools/spdx.py` (tests/unit/
test_license.py checks them all)."""

import os
import subprocess
import sys

TAG = "SPDX-License-Identifier: MIT"
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def comment(path):
    """The tag line for this file, or None for a file that is not source."""
    name = os.path.basename(path)
    ext = os.path.splitext(name)[1]
    if ext in (".c", ".h", ".lark"):
        return "// " + TAG
    if ext in (".S", ".ld"):
        return "/* " + TAG + " */"
    if ext in (".py", ".mk", ".sh", ".te", ".cfg") or name in ("Makefile", "run"):
        return "# " + TAG
    return None


def sources():
    out = subprocess.run(
        ["git", "-C", TOP, "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    return [p for p in out if comment(p) and os.path.exists(os.path.join(TOP, p))]


def tagged(text):
    return TAG in "\n".join(text.splitlines()[:3])


def add(path):
    full = os.path.join(TOP, path)
    with open(full) as f:
        text = f.read()
    if tagged(text):
        return False
    lines = text.splitlines(True)
    at = 1 if lines and lines[0].startswith("#!") else 0
    lines.insert(at, comment(path) + "\n")
    with open(full, "w") as f:
        f.write("".join(lines))
    return True


if __name__ == "__main__":
    changed = [p for p in sources() if add(p)]
    print("spdx: tagged %d files" % len(changed))
    sys.exit(0)
