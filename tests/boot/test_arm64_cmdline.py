# SPDX-License-Identifier: MIT
"""Long command lines on arm64, as on x86_64 (test_x86_64_cmdline.py).
Xen on arm keeps 1023 characters of a module's bootargs but panics on more
than 1024 (BOOTMOD_MAX_CMDLINE) before its console is up: the boot used to
stop with no output at all. The board cuts such a line to what Xen keeps
and says so; the image reports the line as cut, dom0 and dom0less domU."""

import pytest

import boot
from stubmon_exporter import consolelog
from test_x86_64_cmdline import LENGTH_QUESTION, XEN_KEEPS, answer_to, cut_message, line_of

BOARD = "arm64"
BOARD_SAYS = (
    "boot: arm64: the %s command line is %d characters; Xen panics, before its console is up, "
    "on more than 1024 (BOOTMOD_MAX_CMDLINE): passing its first 1023, what Xen keeps"
)


@pytest.mark.parametrize("xen,n", [("4.20", 1022), ("4.20", 1024), ("4.20", 1100), ("4.17", 1100)])
def test_dom0_line_as_long_as_xen_keeps_is_said_to_be_cut(xen, n, image, capsys):
    from test_repl import Typist

    image(BOARD)
    sent = line_of(n)
    typist = Typist([LENGTH_QUESTION, "xen.qemu_exit(0)"])
    res = boot.boot(BOARD, xen, sent, timeout=120, mode="dom0", send=typist)
    assert not res.timed_out and typist.typed == 2, res.text[-3000:]
    assert res.guest_exit == 0, res.text[-3000:]
    polls = consolelog.polls(res.lines)
    assert len(polls) == 1 and polls[0].complete and polls[0].ids() == [0], res.text[-3000:]
    kept = min(n, XEN_KEEPS)
    # our buffer holds 4095: 1023 is Xen's cut (a 1024 line reaches Xen whole)
    assert answer_to(res, LENGTH_QUESTION) == "(%d, %d)" % (kept, XEN_KEEPS)
    said = [l for l in res.lines if "probably cut" in l]
    assert said == ([] if n < XEN_KEEPS else [cut_message(sent)])
    err = capsys.readouterr().err
    assert (BOARD_SAYS % ("dom0", n) in err) == (n > 1024), err


def test_dom0less_domu_line_is_cut_the_same_way(image, capsys):
    image(BOARD)
    guest = line_of(1100, head="role=guest run=1 end=poweroff")
    res = boot.boot(
        BOARD,
        "4.20",
        "count=3 interval=1 exit=qemu",
        timeout=120,
        mode="dom0less",
        domus=[{"mem_mib": 16, "vcpus": 1, "args": guest}],
    )
    assert res.guest_exit == 0, res.text[-3000:]
    assert BOARD_SAYS % ("domU1", 1100) in capsys.readouterr().err
    d1 = consolelog.guest_lines(res.lines, 1)
    # the domU's own options (before the cut) obeyed, and the cut said
    assert cut_message(guest) in d1, d1
    assert [l for l in d1 if l.startswith("stubmon guest: hello")], d1
    assert [l for l in d1 if l.startswith("stubmon guest: bye") and l.endswith("(poweroff)")], d1
