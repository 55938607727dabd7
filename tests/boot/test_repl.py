# SPDX-License-Identifier: MIT
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
        self.prompts = 0  # prompts completed (a '>>> ...' line came back)
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
    typist = Typist(LINES, pause_before={4: 2.0})  # 2 s idle at a prompt
    res = boot.boot(
        BOARD, xen, "repl=1 demo=2 demo_keep=0 exit=qemu", timeout=120, mode=mode, send=typist
    )
    res.typist = typist
    return res


def clean(lines):
    """The console without Xen's own messages (one may land inside an echo)."""
    return [p for p in (l.split("(XEN) ")[0] for l in lines) if p]


def answer(res, typed, skip=0):
    """The output line `skip` lines after the echo of `typed` at a prompt
    (an echo cut by a Xen message is put back together)."""
    want = PROMPT + typed
    lines = clean(res.lines)
    for i, l in enumerate(lines):
        if l.startswith(PROMPT) and want.startswith(l):
            acc, j = l, i
            while len(acc) < len(want) and j + 1 < len(lines):
                j += 1
                acc += lines[j]
            if acc == want:
                return lines[j + 1 + skip]
    raise AssertionError("no echo of %r in:\n%s" % (typed, "\n".join(lines[-60:])))


def test_ends_through_qemu_exit_typed_at_the_prompt(run):
    assert not run.timed_out, run.text[-3000:]
    assert run.typist.typed == len(LINES), run.text[-3000:]
    assert run.guest_exit == 0, run.text[-3000:]


def test_one_table_then_the_repl(run):
    assert sum(1 for l in run.lines if re.match(r"^stubmon poll \d+ end$", l)) == 1
    i = next(
        i for i, l in enumerate(run.lines) if l.startswith("stubmon: repl: the poll loop is off")
    )
    assert run.lines[i + 1].startswith("MicroPython ")
    assert "Serial input to DOM0" in run.text


def test_expressions_answer(run):
    assert answer(run, "1+2") == "3"
    assert answer(run, "len(stubmon.domains())") == "3"  # dom0 + 2 demo domains
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


class Script:
    """Typing with timing, for what Typist cannot do: each step is
    ("line", text[, pause]): typed at the next prompt (after `pause` host
    seconds there), in chunks of CHUNK bytes GAP s apart so that a long
    line does not overrun Xen's serial input ring; or ("after", seconds,
    bytes): typed that long after the previous step, prompt or not (Ctrl-C
    into a statement that prints nothing). Uses boot.py's quiet-console
    ticks to act on time."""

    CHUNK, GAP = 32, 0.05

    def __init__(self, steps):
        self.steps = steps
        self.i = 0
        self.prompts = 0  # prompt lines completed
        self.lines_typed = 0
        self.last = time.monotonic()
        self.chunks = []
        self.at_prompt = None  # when the prompt the next line waits for came

    def __call__(self, text, partial):
        now = time.monotonic()
        if not partial:
            if text.startswith(PROMPT):
                self.prompts += 1
            return None
        if self.chunks:
            if now - self.last < self.GAP:
                return None
            self.last = now
            return self.chunks.pop(0)
        if self.i >= len(self.steps):
            return None
        step = self.steps[self.i]
        if step[0] == "after":
            if now - self.last < step[1]:
                return None
            return self._type(now, step[2])
        if not (text.endswith(PROMPT) and self.prompts == self.lines_typed):
            return None
        if self.at_prompt is None:
            self.at_prompt = now
        if now - self.at_prompt < (step[2] if len(step) > 2 else 0):
            return None
        self.at_prompt = None
        self.lines_typed += 1
        return self._type(now, step[1].encode() + b"\r")

    def _type(self, now, data):
        self.i += 1
        self.last = now
        self.chunks = [data[i : i + self.CHUNK] for i in range(0, len(data), self.CHUNK)]
        return self.chunks.pop(0)

    @property
    def done(self):
        return self.i == len(self.steps) and not self.chunks


LONG = "s = '" + "a" * 600 + "'"
HANG = "while True: pass"
WATCHDOG_FIRED = "Watchdog timer fired for domain 0"


@pytest.fixture(scope="module", params=SETUPS, ids=["%s-%s" % s for s in SETUPS])
def interrupted(request, image):
    """Ctrl-C into a busy statement, a line past the bound, then the
    watchdog: armed at the prompt, 8 s idle there (the REPL kicks it while
    it waits), then a statement that hangs with no Ctrl-C: Xen's watchdog
    must end dom0 (Xen prints it; QEMU is stopped on that line)."""
    image(BOARD)
    script = Script(
        [
            ("line", HANG + "\r"),  # a compound statement: an empty line ends it
            ("after", 1.0, b"\x03"),
            ("line", "'after the interrupt'"),
            ("line", LONG),
            ("line", "len(s)"),
            ("line", "xen.watchdog(3)"),
            ("line", "'still here'", 8.0),
            ("line", HANG + "\r"),
        ]
    )
    xen, mode = request.param
    res = boot.boot(
        BOARD,
        xen,
        "repl=1 exit=qemu",
        timeout=150,
        mode=mode,
        send=script,
        until=lambda l: WATCHDOG_FIRED in l,
    )
    res.script = script
    return res


def test_ctrl_c_interrupts_a_running_statement(interrupted):
    res = interrupted
    assert res.script.done, res.text[-3000:]
    i = res.lines.index(PROMPT + HANG)
    assert res.lines[i + 1] == "... ", res.lines[i : i + 4]
    after = res.lines[i + 2 :]
    assert after[0] == "Traceback (most recent call last):", after[:6]
    kbd = next(j for j, l in enumerate(after) if l.startswith("KeyboardInterrupt"))
    assert kbd < 4, after[:6]
    assert answer(res, "'after the interrupt'") == "'after the interrupt'"


def test_input_line_bound(interrupted):
    res = interrupted
    i = next(i for i, l in enumerate(res.lines) if l.startswith(PROMPT + "s = 'aaaa"))
    said = "stubmon: repl: input line longer than 512 characters: %d more dropped" % (
        len(LONG) - 512
    )
    k = res.lines.index(said, i)
    # the echo stops at the bound: 512 characters typed, the rest dropped.
    # Xen's own lines may land inside the echo: cut them out.
    echo = "".join(l.split("(XEN) ")[0] for l in res.lines[i:k])
    assert echo == PROMPT + LONG[:512], (len(echo), res.lines[i:k])
    # the cut line lost its closing quote: a SyntaxError, and s was never set
    assert any(l.startswith("SyntaxError") for l in res.lines[k + 1 : k + 5]), res.lines[k : k + 5]
    j = res.lines.index(PROMPT + "len(s)")
    assert res.lines[j + 3] == "NameError: name 's' isn't defined", res.lines[j : j + 4]


def test_idle_prompt_kicks_the_watchdog_a_hang_does_not(interrupted):
    res = interrupted
    assert answer(res, "xen.watchdog(3)") == "0"
    # 8 s idle at the prompt with a 3 s watchdog armed: still alive
    assert answer(res, "'still here'") == "'still here'"
    last = max(i for i, l in enumerate(res.lines) if l == PROMPT + HANG)
    fired = [i for i, l in enumerate(res.lines) if WATCHDOG_FIRED in l]
    assert res.stopped and fired and fired[0] > last, res.text[-2000:]
