# SPDX-License-Identifier: MIT
"""A Xen whose sysctl interface version no layout in the image gives the
domain record size of, for real: an image whose layouts were generated
from Xen 4.17's headers only (sysctl 0x15) on Xen 4.21 (sysctl 0x16).
The image's C refuses a getdomaininfolist batch of more than one record
of 0x16 (port-xen/modxen.c), so the monitor must say once that it lists
one record per call, and list every domain that way, poll after poll
(docs/security.md). One build of its own, one boot."""

import os

import pytest

import boot
import xenshared
from stubmon_exporter import consolelog

XEN = "4.21"
TOP = os.path.join(boot.REPO, "build", "xenabi-only-4.17")  # conftest.image_of_417_layouts
SAID = (
    "stubmon: sysctl 0x16 has no generated layout: the size of its domain record is unknown, "
    "so domains are listed one per call (slower, never past the buffer)"
)


@pytest.fixture(scope="module")
def run(image_of_417_layouts):
    why = xenshared.missing_reason("4.21", "x86_64")  # ../shared/xen, or XEN_SHARED=
    if why:
        pytest.skip("Xen 4.21: " + why)
    with open(os.path.join(TOP, "gen", "x86_64", "xenabi_x86_64.py")) as f:
        assert "RECORD_SIZE = {0x15: 112}" in f.read()
    res = boot.boot(
        "x86_64",
        XEN,
        "interval=0.5 count=3 demo=3 demo_keep=0 exit=qemu",
        timeout=120,
        image=image_of_417_layouts,
    )
    assert res.guest_exit == 0, res.text[-3000:]
    return res


def test_it_says_once_that_it_lists_one_record_per_call(run):
    assert [l for l in run.lines if "one per call" in l] == [SAID]
    assert "stubmon: layouts xen 4.17 (x86_64), interfaces sysctl 0x16 domctl 0x17" in run.lines


def test_every_domain_is_listed_every_poll(run):
    polls = consolelog.polls(run.lines)
    assert [p.number for p in polls] == [1, 2, 3]
    for p in polls:
        assert p.ids() == [0, 1, 2, 3]
        assert [p.row(i)["MaxMem(MiB)"] for i in (1, 2, 3)] == [16, 16, 16]
    assert not [l for l in run.lines if "Traceback" in l or "ValueError" in l]
