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


@pytest.fixture(scope="session")
def image_of_417_layouts():
    """The x86_64 test image with layouts generated from Xen 4.17's headers
    only (no 4.20, no ../shared 4.21/4.22): a Xen newer than every layout
    it has. Built with the port's own make in build/xenabi-only-4.17, under
    the build lock (build/mpy-cross is shared). Returns the ELF; the
    generated layouts are in its ../gen/x86_64."""
    top = os.path.join(REPO, "build", "xenabi-only-4.17")
    deps = os.path.join(top, "deps")
    with buildlock.locked():
        os.makedirs(deps, exist_ok=True)
        link = os.path.join(deps, "libxen-dev-4.17")
        if not os.path.islink(link):
            os.symlink(os.path.join(boot.DEPS, "pkg", "libxen-dev-4.17"), link)
        make = ["make", "-s", "-C", os.path.join(REPO, "port-xen"), "BOARD=x86_64", "-j2"]
        subprocess.run(
            make
            + [
                "VARIANT=" + boot.VARIANT,
                "BUILD=" + os.path.join(top, "x86_64"),
                "XENABI_OUT=" + os.path.join(top, "gen"),
                "XENABI_DEPS=" + deps,
                "XEN_SHARED=" + os.path.join(top, "none"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return os.path.join(top, "x86_64", "stubmon.elf")
