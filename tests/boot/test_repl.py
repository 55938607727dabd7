"""repl=1: MicroPython's REPL on the Xen serial console of a real Xen
under QEMU, typed into through QEMU's stdin (tools/boot.py send=). Input
reaches dom0 through VIRQ_CONSOLE + CONSOLEIO_read (port-xen/console_input.c)."""
import re
import time

import pytest

import boot

BOARD = "x86_64"
SETUPS = [("4.20", "pv"), ("4.17", "pvh")]
PROMPT = ">>> "


class Typist:
    """Types one line per prompt, each only once its prompt is seen (the
    serial line has no flow control worth trusting); `pause_before[i]`:
    host seconds to wait at the prompt before typing line i."""

    def __init__(self, lines, pause_before=None):
        self.lines = lines
        self.pause_before = pause_before or {}
        self.prompts = 0     # prompts completed (a '>>> ...' line came back)
        self.typed = 0

    def __call__(self, text, partial):
        if not partial:
            if text.startswith(PROMPT):
                self.prompts += 1
            return None
        if text.endswith(PROMPT) and self.typed == self.prompts and self.typed < len(self.lines):
            time.sleep(self.pause_before.get(self.typed, 0))
            line = self.lines[self.typed]
            self.typed += 1
            return line.encode() + b"\r"
        return None


LINES = [
    "1+2",
    "len(stubmon.domains())",
    "[d.state for d in stubmon.domains()]",
    "a = (xen.time_ns(), xen.cpu_ns())",
    "b = (xen.time_ns(), xen.cpu_ns())",
    "'wall_ms=%d cpu_ms=%d' % ((b[0] - a[0]) // 1000000, (b[1] - a[1]) // 1000000)",
    "stubmon.physinfo().nr_cpus",
    "xen.qemu_exit(0)",
]


@pytest.fixture(scope="module", params=SETUPS, ids=["%s-%s" % s for s in SETUPS])
def run(request, image):
    image(BOARD)
    xen, mode = request.param
    typist = Typist(LINES, pause_before={4: 2.0})   # 2 s idle at a prompt
    res = boot.boot(BOARD, xen, "repl=1 demo=2 demo_keep=0 exit=qemu", timeout=120, mode=mode,
                    send=typist)
    res.typist = typist
    return res


def answer(res, line):
    """The output line right after the echo of `line` at a prompt."""
    i = res.lines.index(PROMPT + line)
    return res.lines[i + 1]


def test_ends_through_qemu_exit_typed_at_the_prompt(run):
    assert not run.timed_out, run.text[-3000:]
    assert run.typist.typed == len(LINES), run.text[-3000:]
    assert run.guest_exit == 0, run.text[-3000:]


def test_one_table_then_the_repl(run):
    assert sum(1 for l in run.lines if re.match(r"^stubmon poll \d+ end$", l)) == 1
    i = next(i for i, l in enumerate(run.lines) if l.startswith("stubmon: repl: the poll loop is off"))
    assert run.lines[i + 1].startswith("MicroPython ")
    assert "Serial input to DOM0" in run.text


def test_expressions_answer(run):
    assert answer(run, "1+2") == "3"
    assert answer(run, "len(stubmon.domains())") == "3"      # dom0 + 2 demo domains
    assert answer(run, "[d.state for d in stubmon.domains()]") == "['r-----', '--p---', '--p---']"
    assert answer(run, "stubmon.physinfo().nr_cpus") == "1"


def test_waiting_for_input_blocks(run):
    """2 s at a prompt cost the vCPU almost no CPU time: input is awaited in
    SCHEDOP_poll, not by spinning."""
    m = re.match(r"^'wall_ms=(\d+) cpu_ms=(\d+)'$", answer(run, LINES[5]))
    assert m, run.text[-2000:]
    wall, cpu = int(m.group(1)), int(m.group(2))
    assert wall >= 1500, (wall, cpu)
    assert cpu < wall // 5, (wall, cpu)


def test_arm64_dom0_repl(image):
    """The same console input code on arm64: dom0 alone, Xen 4.20."""
    image("arm64")
    typist = Typist(["1+2", "[d.state for d in stubmon.domains()]", "xen.qemu_exit(0)"])
    res = boot.boot("arm64", "4.20", "repl=1 exit=qemu", timeout=120, mode="dom0", send=typist)
    assert not res.timed_out and typist.typed == 3, res.text[-3000:]
    assert res.guest_exit == 0, res.text[-3000:]
    assert answer(res, "1+2") == "3"
    assert answer(res, "[d.state for d in stubmon.domains()]") == "['r-----']"
