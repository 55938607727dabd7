# SPDX-License-Identifier: MIT
"""Boot tests: real Xen under real QEMU, read from the serial console."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))

import boot  # noqa: E402
import buildlock  # noqa: E402


@pytest.fixture(scope="session")
def image():
    """Build an image once per session, the way `make` does (one make at
    a time across pytest-xdist workers: tools/buildlock.py): the test one
    (its test-only options drive the boots), or variant="standard", the
    production one."""

    def build(board, variant=boot.VARIANT):
        with buildlock.locked():
            subprocess.run(
                ["make", "-s", "image", "BOARD=" + board, "VARIANT=" + variant],
                cwd=REPO,
                check=True,
            )
        path = boot.image_path(board, variant=variant)
        assert os.path.exists(path)
        return path

    return build


@pytest.fixture(scope="session")
def headers():
    """Interface versions #defined in each release's public headers."""

    def versions(xen):
        inc = os.path.join(boot.DEPS, "pkg", "libxen-dev-" + xen, "usr", "include", "xen")
        out = {}
        for name, macro in (
            ("sysctl", "XEN_SYSCTL_INTERFACE_VERSION"),
            ("domctl", "XEN_DOMCTL_INTERFACE_VERSION"),
        ):
            with open(os.path.join(inc, name + ".h")) as f:
                for line in f:
                    parts = line.split()
                    if parts[:2] == ["#define", macro]:
                        out[name] = int(parts[2], 16)
        return out

    return versions
