# SPDX-License-Identifier: MIT
"""One build at a time across processes: `make test` runs the suite on two
pytest-xdist workers, and each worker's fixtures build what they boot
(`make image`, the examples, the xenabi layouts, the dom0 initramfs ...).
Two makes in one build directory at once corrupt it (and every port-xen
build shares build/mpy-cross and build/xenabi), so each such step runs
under an fcntl lock on build/.lock-NAME: the first worker builds, the
other waits and then finds it up to date.

    with buildlock.locked():          # anything built with port-xen's make
        subprocess.run(["make", ...])
    with buildlock.locked("dom0"):    # the Linux dom0, FLASK Xen, stormctl
        ...

Reentrant within a process (a fixture that builds may call another that
builds). The lock goes with the process: a killed worker frees it.
"""

import contextlib
import fcntl
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_depth = {}


@contextlib.contextmanager
def locked(name="build"):
    if _depth.get(name):
        _depth[name] += 1
        try:
            yield
        finally:
            _depth[name] -= 1
        return
    d = os.path.join(REPO, "build")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock-" + name), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        _depth[name] = 1
        try:
            yield
        finally:
            _depth[name] = 0
            fcntl.flock(f, fcntl.LOCK_UN)
