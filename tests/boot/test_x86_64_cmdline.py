# SPDX-License-Identifier: MIT
"""The command line as the PV start_info and the PVH hvm_start_info carry
it (empty, long, unknown keys), and the console channels, on real Xen."""

import pytest

import boot
from stubmon_exporter import consolelog

BOARD = "x86_64"
MODES = ("pv", "pvh")
XEN = "4.20"


@pytest.mark.parametrize("mode", MODES)
def test_empty_command_line_runs_on_defaults(mode, image):
    image(BOARD)
    # With no options the monitor polls forever: stop QEMU after one table.
    res = boot.boot(
        BOARD, XEN, "", timeout=120, mode=mode, until=lambda l: l == "stubmon poll 1 end"
    )
    assert res.stopped, res.text[-2000:]
    said = [l for l in res.lines if l.startswith("stubmon:")]
    assert said[0].startswith("stubmon: x86_64-%s on xen " % mode)
    assert said[1:] == [
        "stubmon: console xen",
        "stubmon: interfaces sysctl 0x15 domctl 0x17",
        "stubmon: layouts xen %s (x86_64), interfaces sysctl 0x15 domctl 0x17" % XEN,
        "stubmon: watchdog 30 s",
        "stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain "
        "(xen %s has no get_domain_state)" % XEN,
    ]
    (poll,) = consolelog.polls(res.lines)
    assert poll.complete and poll.ids() == [0]


@pytest.mark.parametrize("mode", MODES)
def test_long_command_line_is_read_to_its_end(mode, image):
    image(BOARD)
    junk = " ".join("key%02d=value%02d" % (i, i) for i in range(60))
    args = junk + " count=1 exit=qemu"
    assert 800 < len(args) < 1000  # Xen keeps up to 1023 characters
    res = boot.boot(BOARD, XEN, args, timeout=120, mode=mode)
    # count= and exit= come last: a clean exit after one poll proves the
    # whole line arrived.
    assert res.guest_exit == 0, res.text[-2000:]
    unknown = [l for l in res.lines if l.startswith("stubmon: unknown option 'key")]
    assert unknown == [
        "stubmon: unknown option 'key%02d=value%02d' ignored (known: alert, baud, "
        "console, count, domains, end, "
        "format, heap, interval, pcpus, repl, role, run, sort, spin, stats, vcpus, view, watchdog, xenlog)"
        % (i, i)
        for i in range(8)
    ]
    assert "stubmon: 52 more command line problems not shown" in res.lines
    assert len(consolelog.polls(res.lines)) == 1
    assert not [l for l in res.lines if "probably cut" in l]  # 800 to 1000 characters: whole


def test_pvh_console_on_debug_port(image):
    """console=e9 on PVH: Xen echoes port 0xE9 as "(d0) [time] text"."""
    image(BOARD)
    res = boot.boot(
        BOARD, XEN, "count=2 interval=0.5 console=e9 exit=qemu", timeout=120, mode="pvh"
    )
    assert res.guest_exit == 0, res.text[-2000:]
    e9 = consolelog.guest_lines(res.lines, 0)
    assert e9[0] == "stubmon: console e9"
    assert [p.number for p in consolelog.polls(e9)] == [1, 2]
    # nothing after the switch went to the Xen console directly
    assert not [l for l in res.lines if l.startswith("stubmon poll")]


def test_pv_has_no_debug_port(image):
    image(BOARD)
    res = boot.boot(BOARD, XEN, "count=1 console=e9 exit=qemu", timeout=120, mode="pv")
    assert res.guest_exit == 0, res.text[-2000:]
    assert "stubmon: console 'e9' is not available here; using xen" in res.lines
    assert "stubmon: console xen" in res.lines


# --- lines as long as Xen keeps, and longer --------------------------------
XEN_KEEPS = 1023  # MAX_GUEST_CMDLINE 1024 with its NUL (start_info, dom0_cmdline)
CUT_HEAD = "repl=1 exit=qemu"


def line_of(n, head=CUT_HEAD):
    """`head` then unknown options up to exactly n characters."""
    words = [head] + ["k%04d=v" % i for i in range(n // 8 + 1)]
    line = " ".join(words)[:n]
    return line + "x" * (n - len(line))


def cut_message(sent, keeps=XEN_KEEPS):
    kept = sent[:keeps]
    last = kept.split()[-1]
    last = last if len(last) <= 60 else last[:57] + "..."
    return (
        "stubmon: the command line is %d characters, the most Xen passes on: it was probably cut; "
        "the last option read was '%s', anything after it was lost" % (len(kept), last)
    )


LENGTH_QUESTION = "(len(xen.cmdline()), xen.cmdline_max)"


def typed_at(res, line):
    """Index of the echo of `line` typed at a prompt. Xen's own messages
    (e.g. "(XEN) ... uart interrupt taking more than 4ms") may land between
    the prompt and the echo: match the line's end."""
    return next(
        i
        for i, l in enumerate(res.lines)
        if l.endswith(line) and (l.startswith(">>> ") or res.lines[i - 1].startswith(">>> "))
    )


def answer_to(res, line):
    """The REPL's answer to `line` (test_repl.answer: the echo is put back
    together when a Xen message lands inside it)."""
    from test_repl import answer

    return answer(res, line)


def boot_line(board, xen, mode, n):
    """Boot a line of n characters, type LENGTH_QUESTION at the REPL."""
    from test_repl import Typist

    typist = Typist([LENGTH_QUESTION, "xen.qemu_exit(0)"])
    res = boot.boot(board, xen, line_of(n), timeout=120, mode=mode, send=typist)
    assert not res.timed_out and typist.typed == 2, res.text[-3000:]
    assert res.guest_exit == 0, res.text[-3000:]
    return res


@pytest.mark.parametrize(
    "mode,n", [("pv", 1022), ("pv", 1023), ("pv", 1100), ("pvh", 1023), ("pvh", 1100)]
)
def test_a_line_as_long_as_xen_keeps_is_said_to_be_cut(mode, n, image):
    image(BOARD)
    res = boot_line(BOARD, XEN, mode, n)
    sent = line_of(n)
    # options before the cut are obeyed: one table, then the REPL (repl=1)
    polls = consolelog.polls(res.lines)
    assert len(polls) == 1 and polls[0].complete and polls[0].ids() == [0], res.text[-3000:]
    assert any(l.startswith("stubmon: repl: the poll loop is off") for l in res.lines)
    kept = min(n, XEN_KEEPS)
    assert answer_to(res, LENGTH_QUESTION) == "(%d, %d)" % (kept, XEN_KEEPS)
    said = [l for l in res.lines if "probably cut" in l]
    if n < XEN_KEEPS:
        assert said == []
    else:
        assert said == [cut_message(sent)]
