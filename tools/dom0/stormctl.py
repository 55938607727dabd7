#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build tools/dom0/stormctl.c for the xl dom0: host gcc, Xen 4.17's public
and libxenctrl headers (the libxen-dev package fetched under .deps/pkg) and
libxenctrl.so.4.17 of the dom0 tree (.deps/dom0-4.17/root; the dev package's
unversioned .so link is not in the dom0, so a temporary one is made). The
dom0 is bookworm, as is this host, so the host glibc matches.

    tools/dom0/stormctl.py [OUT]     -> build/dom0/stormctl (default)
"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import buildlock  # noqa: E402

DEPS = os.environ.get("DEPS", os.path.join(REPO, ".deps"))
XEN = "4.17"
SRC = os.path.join(HERE, "stormctl.c")
DEFAULT_OUT = os.path.join(REPO, "build", "dom0", "stormctl")


def build(out=DEFAULT_OUT):
    """Compile stormctl unless `out` is newer than its source; returns out.
    One process at a time (tools/buildlock.py): gcc writes `out` in place."""
    with buildlock.locked("dom0"):
        return _build(out)


def _build(out):
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(SRC):
        return out
    inc = os.path.join(DEPS, "pkg", "libxen-dev-" + XEN, "usr", "include")
    libdir = os.path.join(DEPS, "dom0-" + XEN, "root", "usr", "lib", "x86_64-linux-gnu")
    lib = os.path.join(libdir, "libxenctrl.so." + XEN)
    for need in (os.path.join(inc, "xenctrl.h"), lib):
        if not os.path.exists(need):
            raise SystemExit(
                "stormctl: %s missing (tools/dom0/fetch.sh %s and "
                "tools/dom0/mkinitramfs.py fetch and build it)" % (need, XEN)
            )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(lib, os.path.join(tmp, "libxenctrl.so"))
        subprocess.run(
            [
                "gcc",
                "-O2",
                "-Wall",
                "-Werror",
                "-D__XEN_TOOLS__",
                "-I",
                inc,
                SRC,
                "-o",
                out,
                "-L",
                tmp,
                "-Wl,-rpath-link," + libdir,
                "-lxenctrl",
            ],
            check=True,
        )
    return out


if __name__ == "__main__":
    print(build(*sys.argv[1:]))
