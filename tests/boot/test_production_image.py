# SPDX-License-Identifier: MIT
"""The production image (`make`, port-xen/variants/standard) on real Xen:
the test-only options that create, pause and destroy domains are not in
it (refused in one line each, nothing done), and it never asks for I/O
privilege (only the test image's exit=qemu needs a port)."""

import os
import subprocess

import pytest

import boot
from stubmon_exporter import consolelog

BOARD = "x86_64"
TEST_ONLY = ("demo=2", "pause=1:1:0", "destroy=1:2", "fault=hang:1", "exit=qemu")


@pytest.fixture(scope="module")
def run(image):
    path = image(BOARD, variant="standard")
    # no exit=qemu here: the run ends as a user's does, dom0 powered off,
    # which halts Xen (QEMU itself stays up: stopped at that line)
    res = boot.boot(
        BOARD,
        "4.20",
        "interval=1 count=3 " + " ".join(TEST_ONLY),
        timeout=120,
        image=path,
        until=lambda l: "Hardware Dom0 halted" in l,
    )
    res.image = path
    return res


def test_each_test_option_is_refused_in_one_line(run):
    for word in TEST_ONLY:
        said = [l for l in run.lines if "'%s'" % word in l]
        assert said == [
            "stubmon: '%s' is a test-only option, not in this image (only the test "
            "image has it: make VARIANT=test); ignored" % word
        ], run.text[-3000:]


def test_nothing_was_created_paused_destroyed_or_hung(run):
    polls = consolelog.polls(run.lines)
    assert [p.number for p in polls] == [1, 2, 3], run.text[-3000:]
    for p in polls:
        assert p.complete and p.ids() == [0]  # no demo domain
    assert not [
        l
        for l in run.lines
        if "demo created" in l or "hanging" in l or "paused" in l.split(":")[0]
    ]
    assert run.stopped and "Hardware Dom0 halted: halting machine" in run.lines[-1]


def test_the_image_has_no_test_hooks_and_no_io_privilege(run, image):
    elf = run.image.replace(".bin", ".elf")
    syms = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout.split()
    # arch_qemu_exit is the one place that asks for PHYSDEVOP_set_iopl
    # (port-xen/arch/x86_64/x86.c); --gc-sections drops what nothing calls
    for name in ("arch_qemu_exit", "xen_qemu_exit_obj", "xen_list_raw_obj", "xen_boot_ns_obj"):
        assert name not in syms, name
    with open(os.path.join(os.path.dirname(elf), "frozen_content.c")) as f:
        assert "stubmon/testopts.py" not in f.read()  # (the name itself is a qstr of options.py)
    # a check of the check: the test image has them
    test_elf = image(BOARD).replace(".bin", ".elf")
    test_syms = subprocess.run(
        ["nm", test_elf], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "arch_qemu_exit" in test_syms and "xen_qemu_exit_obj" in test_syms
