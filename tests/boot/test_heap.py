# SPDX-License-Identifier: MIT
"""The heap comes from the domain's own memory (port-xen/main.c,
arch_free_ram): the boot line's figure follows the domain's size, heap=
bounds it, and a domain whose free memory is below the image's floor says
so in one line and crashes (the dom0 monitor lists it as crashed)."""

import os
import re
import shutil
import subprocess

import pytest

import boot
import buildlock
from stubmon_exporter import consolelog

BOOT_LINE = re.compile(
    r"^(?:\(d(\d+)\) (?:\[[ \d.]+\] )?)?boot: stubmon (\S+), heap (\d+) KiB of the domain's "
    r"(\d+) KiB, stack \d+ KiB$"
)
STAY = "role=guest end=stay"


def heaps(res):
    """{domid: (heap KiB, domain KiB)} from the boot lines (dom0's has no (dN))."""
    out = {}
    for line in res.lines:
        m = BOOT_LINE.match(line)
        if m:
            out[int(m.group(1) or 0)] = (int(m.group(3)), int(m.group(4)))
    return out


def test_arm64_domu_heap_follows_its_memory(image):
    image("arm64")
    domus = [{"mem_kib": k, "vcpus": 1, "args": STAY} for k in (5120, 7168)]
    res = boot.boot("arm64", "4.20", "interval=1 count=2 exit=qemu", timeout=150, domus=domus)
    assert res.guest_exit == 0, res.text[-3000:]
    h = heaps(res)
    assert h[1][1] == 5120 and h[2][1] == 7168, h
    # the same image in both: what it leaves of the bank is the same
    assert h[2][0] - h[1][0] == 2048, h
    assert 0 < h[1][0] < 5120 - 256, h  # the image (and its stack) are not heap


def test_x86_64_pvh_dom0_heap_follows_dom0_mem(image):
    image("x86_64")
    got = {}
    for mib in (2, 4):
        res = boot.boot(
            "x86_64",
            "4.20",
            "interval=1 count=1 exit=qemu",
            timeout=60,
            mode="pvh",
            dom0_mem_mib=mib,
        )
        assert res.guest_exit == 0, res.text[-3000:]
        assert consolelog.polls(res.lines), res.text[-3000:]  # a 2 MiB dom0 still lists
        got[mib] = heaps(res)[0]
    assert got[4][0] - got[2][0] == 2048, got
    assert got[2][1] < 2 * 1024 + 1024 and got[2][0] < got[2][1], got


def test_heap_option_bounds_the_heap_and_not_below_the_floor(image):
    image("x86_64")
    res = boot.boot("x86_64", "4.20", "heap=512K interval=1 count=1 exit=qemu", timeout=60)
    assert res.guest_exit == 0, res.text[-3000:]
    assert heaps(res)[0][0] == 512
    res = boot.boot("x86_64", "4.20", "heap=100K interval=1 count=1 exit=qemu", timeout=60)
    assert res.guest_exit == 0, res.text[-3000:]
    assert "boot: heap=100K is below the 256 KiB the monitor needs; using 256 KiB" in res.lines
    assert heaps(res)[0][0] == 256


def floor_build(image, board, heap_min):
    """The board's image with a heap floor of heap_min bytes (as if its
    frozen scripts needed that much): the shipped build, copied, relinked
    with main.c rebuilt. Under the build lock: the build must not change
    while it is copied, nor build/mpy-cross while this make runs
    (tools/buildlock.py)."""
    with buildlock.locked():
        image(board)
        src = boot.build_dir(board)
        dst = os.path.join(boot.REPO, "build", "%s-floor" % board)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True)
        os.remove(os.path.join(dst, "main.o"))
        subprocess.run(
            [
                "make",
                "-s",
                "-C",
                os.path.join(boot.REPO, "port-xen"),
                "BOARD=" + board,
                "BUILD=" + dst,
                "VARIANT=" + boot.VARIANT,
                "HEAP_MIN=%d" % heap_min,
                "-j2",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return dst


@pytest.fixture(scope="module")
def floor_image(image):
    """arm64 with a floor of 6 MiB."""
    return floor_build(image, "arm64", 6 << 20)


def test_a_domain_too_small_says_so_in_one_line(floor_image):
    # dom0 (a 128 MiB bank) gets its 8 MiB heap; the 5 MiB domU leaves
    # 4744 KiB after the image, below the 6144 KiB floor
    domus = [{"mem_kib": 5120, "vcpus": 1, "args": STAY}]
    res = boot.boot(
        "arm64",
        "4.20",
        "interval=1 count=3 exit=qemu",
        timeout=150,
        domus=domus,
        image=floor_image,
    )
    assert res.guest_exit == 0, res.text[-3000:]
    said = [l for l in res.lines if "boot: domain too small" in l]
    assert len(said) == 1, res.text[-3000:]
    assert re.search(
        r"\(d1\) .*boot: domain too small: \d+ KiB free after the image \(bounded by the device "
        r"tree's /memory\), the heap needs at least 6144 KiB: give the domain 2 MiB more$",
        said[0],
    ), said
    assert 1 not in heaps(res) or heaps(res)[1][0] < 6144
    last = consolelog.polls(res.lines)[-1]
    assert last.row(1)["State"] == "---sc-", last.rows


def test_a_pvh_dom0_of_2_mib_says_it_is_too_small(image):
    """A real too-small domain: Xen builds a 2 MiB PVH dom0, whose RAM
    ends about 600 KiB past the image (loaded at 1 MiB), below a floor of
    1 MiB. (A 1 MiB dom0 no longer holds the image at all: Xen refuses to
    build it, "Address conflict".)"""
    res = boot.boot(
        "x86_64",
        "4.20",
        "interval=1 count=1 exit=qemu",
        timeout=60,
        mode="pvh",
        dom0_mem_mib=2,
        image=floor_build(image, "x86_64", 1 << 20),
        until=lambda l: "crashing the domain" in l,
    )
    said = [l for l in res.lines if "boot: domain too small" in l]
    assert len(said) == 1, res.text[-3000:]
    assert re.search(
        r"boot: domain too small: \d+ KiB free after the image \(bounded by [^)]+\), the heap "
        r"needs at least 1024 KiB: give the domain 1 MiB more$",
        said[0],
    ), said
    assert not consolelog.polls(res.lines)
