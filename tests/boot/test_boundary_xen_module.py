# SPDX-License-Identifier: MIT
"""The `xen` module's C refuses, on real Xen, what would make Xen or C write
past a Python object (docs/security.md): typed at the REPL (repl=1) of an
x86_64 PV dom0 on Xen 4.20, one boot.

- xen.records_merge with sizes whose products wrap (dom0 took a #PF
  before): ValueError, and a merge that fits still works;
- xen.sysctl(buf, records) for XEN_SYSCTL_getdomaininfolist: more than one
  record of a sysctl interface version no generated layout gives the
  record size of, a batch past the records buffer, records without their
  buffer: ValueError before Xen sees them; a batch that fits lists;
- xen.list_raw (the test image's bench timer) applies the same rule."""

import pytest

import boot
from test_repl import Typist
from test_x86_64_cmdline import answer_to as answer, typed_at

BOARD, XEN, MODE = "x86_64", "4.20", "pv"
RECORD = 112  # sizeof(xen_domctl_getdomaininfo) on x86_64, 4.17 to 4.22
UNKNOWN = 0x7F  # a sysctl interface version no release has

LINES = [
    "b = bytearray(64)",
    "xen.records_merge(b, 0, bytearray(64), 1 << 32, 1 << 32)",  # 1: n * size wraps to 0
    "xen.records_merge(b, 1 << 60, bytearray(64), 1, 16)",  # 2: at * size wraps
    "xen.records_merge(b, 1, bytearray(64), 1 << 61, 8)",  # 3: (at + n) * size wraps
    "xen.records_merge(b, 4, bytearray(64), 1, 16)",  # 4: one past the end
    "xen.records_merge(b, 2, b'\\x01' * 32, 2, 16)",  # 5: fits: [2, 3]
    "bytes(b[32:34]) + bytes(b[63:])",  # 6
    "from stubmon import hypercalls",
    "h = hypercalls.Hypervisor(xen); m = h.probe(); h.sysctl_version, h.batch, h.di_size",  # 8
    "h._fill_sysctl_list(%d, 0, 64)" % UNKNOWN,
    "xen.sysctl(h._sysctl, bytearray(65536))",  # 10: unknown version, 64
    "h._fill_sysctl_list(%d, 0, 1)" % UNKNOWN,
    "xen.sysctl(h._sysctl, bytearray(4095))",  # 12: one unknown, too small
    "xen.sysctl(h._sysctl, bytearray(4096))",  # 13: one unknown: Xen's EACCES
    "h._fill_sysctl_list(h.sysctl_version, 0, 64)",
    "xen.sysctl(h._sysctl, bytearray(64 * %d - 1))" % RECORD,  # 15: one byte short
    "xen.sysctl(h._sysctl)",  # 16: no records buffer
    "r = bytearray(64 * %d)" % RECORD,
    "xen.sysctl(h._sysctl, r), h._sysctl[24], r[0:2]",  # 18: fits: lists dom0
    "h._fill_sysctl_list(h.sysctl_version, 0, 0)",
    "[xen.sysctl(h._sysctl)]",  # 20: the probe's 0 records
    "lay = (8, 12, 24, 16, 64, %d, 0, 0x7ff0)" % RECORD,
    "h._fill_sysctl_list(%d, 0, 64)" % UNKNOWN,
    "xen.list_raw(h._sysctl, bytearray(65536), lay)",  # 23: unknown version, 64
    "h._fill_sysctl_list(h.sysctl_version, 0, 64)",
    "xen.list_raw(h._sysctl, bytearray(65536), (8, 12, 24, 16, 64, %d, 0, 0x7ff0))"
    % (RECORD - 1),  # 25
    "xen.list_raw(h._sysctl, bytearray(64 * %d - 1), lay)" % RECORD,  # 26: one byte short
    "xen.list_raw(h._sysctl, bytearray(64 * %d), lay)[0]" % RECORD,  # 27: fits
    "len(stubmon.domains())",  # 28: still alive
    "xen.qemu_exit(0)",
]


@pytest.fixture(scope="module")
def run(image):
    image(BOARD)
    typist = Typist(LINES)
    res = boot.boot(BOARD, XEN, "repl=1 exit=qemu", timeout=120, mode=MODE, send=typist)
    assert not res.timed_out and typist.typed == len(LINES), res.text[-3000:]
    assert res.guest_exit == 0, res.text[-3000:]
    return res


def error(res, line):
    """The last line of the traceback typing `line` printed, or what it
    printed instead."""
    i = typed_at(res, line)
    j = i + 1
    while not res.lines[j].startswith(">>> "):
        j += 1
    assert res.lines[i + 1] == "Traceback (most recent call last):", res.lines[i:j]
    return res.lines[j - 1]


def test_records_merge_refuses_sizes_whose_products_wrap(run):
    for k in (1, 2, 3, 4):
        assert error(run, LINES[k]) == "ValueError: records_merge: records past a buffer's end", (
            LINES[k]
        )
    assert answer(run, LINES[5]) == "[2, 3]"
    assert answer(run, LINES[6]) == "b'\\x01\\x01\\x01'"


def test_sysctl_refuses_a_batch_of_records_of_unknown_size(run):
    assert answer(run, LINES[8]) == "(21, 64, %d)" % RECORD  # 0x15, batches of 64
    assert error(run, LINES[10]) == (
        "ValueError: sysctl: getdomaininfolist of 64 records: sysctl interface 0x%x has no "
        "generated layout, its record size is unknown (one record per call)" % UNKNOWN
    )
    assert error(run, LINES[12]) == (
        "ValueError: sysctl: one getdomaininfolist record of unknown "
        "size needs 4096 bytes; the buffer has 4095"
    )
    assert answer(run, LINES[13]) == "-13"  # let through: Xen refuses the version itself


def test_sysctl_refuses_a_batch_past_its_buffer(run):
    assert error(run, LINES[15]) == (
        "ValueError: sysctl: getdomaininfolist of 64 records of %d "
        "bytes; the buffer has %d" % (RECORD, 64 * RECORD - 1)
    )
    assert error(run, LINES[16]) == (
        "ValueError: sysctl: getdomaininfolist of 64 records needs "
        "its records buffer: sysctl(buf, records)"
    )
    assert answer(run, LINES[18]) == "(0, 1, bytearray(b'\\x00\\x00'))"  # dom0, in r
    assert answer(run, LINES[20]) == "[0]"


def test_list_raw_applies_the_same_rule(run):
    assert error(run, LINES[23]) == (
        "ValueError: list_raw: getdomaininfolist of 64 records: sysctl interface 0x%x has no "
        "generated layout, its record size is unknown (one record per call)" % UNKNOWN
    )
    assert error(run, LINES[25]) == (
        "ValueError: list_raw: record size %d is not the generated "
        "layout's %d" % (RECORD - 1, RECORD)
    )
    assert error(run, LINES[26]) == (
        "ValueError: list_raw: getdomaininfolist of 64 records of %d "
        "bytes; the buffer has %d" % (RECORD, 64 * RECORD - 1)
    )
    assert answer(run, LINES[27]) == "1"
    assert answer(run, LINES[28]) == "1"
