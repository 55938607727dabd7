# SPDX-License-Identifier: MIT
"""xen.xen_version(cmd, buf) on real Xen: every buffer is checked against
what the sub-command writes (port-xen/modxen.c's table from Xen's
version.h) before Xen sees it; typed at the REPL (repl=1)."""

import pytest

import boot
from test_repl import Typist
from test_x86_64_cmdline import answer_to as answer, typed_at

LINES = [
    "xen.xen_version(9, bytearray(16))",  # XENVER_commandline writes 1024
    "b = bytearray(1024)",
    "xen.xen_version(9, b)",
    "bytes(b).split(b'\\x00')[0].decode()",
    "xen.xen_version(1, bytearray(15))",  # extraversion: 16
    "xen.xen_version(1)",
    "xen.xen_version(0, bytearray(4))",  # version: the answer is the return value
    "xen.xen_version(0) >> 16",
    "xen.xen_version(10)",  # build_id size query (no buffer: allowed)
    "v = bytearray(8); v[0] = 100",  # varbuf len 100: needs 104 bytes
    "xen.xen_version(10, v)",
    "xen.xen_version(15, bytearray(4096))",  # not in the table
    "xen.sysctl(bytearray(16))",
    "xen.xen_version(8, bytearray(16))",  # guest_handle: 16
    "xen.qemu_exit(0)",
]

SETUPS = [("x86_64", "4.20", "pv"), ("arm64", "4.20", "dom0")]


@pytest.fixture(scope="module", params=SETUPS, ids=["%s-%s-%s" % s for s in SETUPS])
def run(request, image):
    board, xen, mode = request.param
    image(board)
    typist = Typist(LINES)
    res = boot.boot(board, xen, "repl=1 exit=qemu", timeout=120, mode=mode, send=typist)
    assert not res.timed_out and typist.typed == len(LINES), res.text[-3000:]
    assert res.guest_exit == 0, res.text[-3000:]
    res.board = board
    return res


def error(res, line):
    """The last line of the traceback typing `line` printed."""
    i = typed_at(res, line)
    j = i + 1
    while not res.lines[j].startswith(">>> "):
        j += 1
    assert res.lines[i + 1] == "Traceback (most recent call last):", res.lines[i:j]
    return res.lines[j - 1]


def test_a_short_buffer_is_refused_before_xen_writes(run):
    assert (
        error(run, LINES[0]) == "ValueError: xen_version(9) writes 1024 bytes; the buffer has 16"
    )
    assert error(run, LINES[4]) == "ValueError: xen_version(1) writes 16 bytes; the buffer has 15"
    assert error(run, LINES[5]) == "ValueError: xen_version(1) writes 16 bytes; no buffer given"
    assert (
        error(run, LINES[10]) == "ValueError: xen_version(10) writes 104 bytes; the buffer has 8"
    )


def test_a_right_sized_buffer_gets_xens_command_line(run):
    assert answer(run, LINES[2]) == "0"
    mod = boot.load_board(run.board)
    # Xen's own command line, as the board passed it (x86: -append; arm64:
    # xen,xen-bootargs), possibly with what Xen adds after it
    want = mod.xen_args() if run.board == "arm64" else "console=com1 com1=115200,8n1"
    assert answer(run, LINES[3]).strip("'").startswith(want), answer(run, LINES[3])


def test_no_buffer_sub_commands_and_unknown_ones(run):
    assert error(run, LINES[6]) == "ValueError: xen_version(0) takes no buffer"
    assert answer(run, LINES[7]) == "4"
    assert int(answer(run, LINES[8])) > 0  # the build id's size in bytes
    assert (
        error(run, LINES[11])
        == "ValueError: xen_version(15): unknown sub-command, its output size is unknown"
    )
    assert answer(run, LINES[13]) == "0"


def test_sysctl_buffer_is_checked(run):
    assert error(run, LINES[12]).startswith("ValueError: sysctl may write ")
    assert error(run, LINES[12]).endswith(" bytes; the buffer has 16")
