#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot Xen + a stubmon image under QEMU, stream the serial console, and
report how it ended. Used by `make run`, the boot tests and the benchmark.

    tools/boot.py --board x86_64 --xen 4.20 [--mode pvh] [--timeout S] [--log FILE] -- ARGS...
"""

import argparse
import importlib.util
import os
import re
import selectors
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPS = os.environ.get("DEPS", os.path.join(REPO, ".deps"))


def load_board(board):
    # the QEMU harness of a board (tools/boards/BOARD.py); its data, the
    # QEMU machine and memory among them, is the board's (boards/BOARD/)
    path = os.path.join(REPO, "tools", "boards", board + ".py")
    if not os.path.exists(path):
        raise SystemExit("boot: unknown board %r (no %s)" % (board, path))
    spec = importlib.util.spec_from_file_location("board_" + board.replace("-", "_"), path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The image the tests, make run and make bench boot: the test variant
# (port-xen/variants/test), whose test-only options (demo=, exit=qemu, ...)
# they use. "standard" is the production image `make` builds.
VARIANT = "test"


def build_dir(board, app=None, variant=VARIANT):
    """Where port-xen/Makefile builds BOARD's image (APP: a script's)."""
    name = board + ("-" + app if app else "") + ("-test" if variant == "test" else "")
    return os.path.join(REPO, "build", name)


def image_path(board, app=None, variant=VARIANT):
    """The file the board's loader takes: the ELF, or (arm64) the raw Image."""
    name = getattr(load_board(board), "IMAGE", "stubmon.elf")
    return os.path.join(build_dir(board, app, variant), name)


SEND_TICK = 0.1  # seconds between send() calls on a quiet console

EXIT_LINE = re.compile(r"^stubmon: exit (\d+)$")


class Result:
    def __init__(self, lines, status, timed_out, seconds):
        self.lines = lines  # console lines, without line ends
        self.status = status  # QEMU's exit status (None if killed)
        self.timed_out = timed_out
        self.seconds = seconds  # wall time of the whole boot

    # Boards without isa-debug-exit (arm64, EXIT_FROM_CONSOLE): the code is
    # in a line "stubmon: exit N" dom0 prints just before it powers off.
    exit_from_console = False

    @property
    def guest_exit(self):
        """The code the monitor passed to xen.qemu_exit, or None."""
        if self.exit_from_console:
            if self.status != 0:
                return None
            for line in reversed(self.lines):
                m = EXIT_LINE.match(line)
                if m:
                    return int(m.group(1))
            return None
        if self.status is None or self.status % 2 == 0:
            return None
        return self.status >> 1

    @property
    def text(self):
        return "\n".join(self.lines)


def boot(
    board,
    xen_version,
    args,
    timeout=120,
    echo=None,
    log=None,
    until=None,
    image=None,
    send=None,
    **board_opts,
):
    """Boot and wait until QEMU ends or `timeout` seconds pass (then kill it).
    `until(line)`: stop QEMU as soon as it returns true for a console line
    (for runs that would go on forever); `stopped` then says so.
    `image`: another image than the board's build/<board> one (a script's),
    or a build directory holding the board's image file (stubmon.elf, .bin).
    `send(text, partial)`: typing on the serial console (the REPL); called
    for each console line (partial False) and for the unfinished rest after
    each read (partial True, e.g. a prompt), and again with that rest every
    SEND_TICK s while the console is quiet (typing at a time, e.g. Ctrl-C
    into a statement that prints nothing); bytes it returns go to QEMU's
    stdin, i.e. the serial line. Without it stdin is /dev/null."""
    mod = load_board(board)
    image = image or image_path(board)
    if os.path.isdir(image):
        image = os.path.join(image, getattr(mod, "IMAGE", "stubmon.elf"))
    cmd = mod.qemu_command(mod.xen_binary(DEPS, xen_version), image, args, **board_opts)
    res = run_qemu(cmd, timeout, echo=echo, log=log, until=until, send=send)
    res.exit_from_console = getattr(mod, "EXIT_FROM_CONSOLE", False)
    return res


def run_qemu(cmd, timeout, echo=None, log=None, until=None, send=None):
    """Run a QEMU command line, stream its serial console (stdout) line by
    line, and kill it after `timeout` s or once `until(line)` holds.
    `echo`, `log`, `until` and `send` as for boot()."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if send else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def typed(data):
        if data:
            proc.stdin.write(data)
            proc.stdin.flush()

    lines = []
    timed_out = stopped = False
    logf = open(log, "w") if log else None
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not sel.select(min(left, SEND_TICK) if send else left):
                if send:
                    typed(send(buf.decode("utf-8", "replace"), True))
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                lines.append(line)
                if echo:
                    echo(line)
                if logf:
                    logf.write(line + "\n")
                    logf.flush()
                if until and until(line):
                    stopped = True
                if send:
                    typed(send(line, False))
            if send and buf:
                typed(send(buf.decode("utf-8", "replace"), True))
            if stopped:
                break
        if buf:
            lines.append(buf.decode("utf-8", "replace").rstrip("\r"))
    finally:
        if proc.poll() is None:
            proc.kill()
        status = proc.wait()
        if logf:
            logf.close()
    res = Result(
        lines, None if timed_out or stopped else status, timed_out, time.monotonic() - start
    )
    res.stopped = stopped
    return res


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--board", default="x86_64")
    ap.add_argument("--xen", default="4.20")
    ap.add_argument("--mode", help="how the board boots the image, e.g. pv or pvh for x86_64")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--log")
    ap.add_argument(
        "--image",
        help="the image to boot, or a build directory holding it"
        " (default: build/BOARD-test, the test image)",
    )
    ap.add_argument("args", nargs="*", help="the monitor's command line (key=value ...)")
    opts = ap.parse_args()
    mod = load_board(opts.board)
    if opts.xen not in mod.XEN_VERSIONS:
        raise SystemExit(
            "boot: Xen %s is not fetched for %s (have: %s)"
            % (opts.xen, opts.board, ", ".join(mod.XEN_VERSIONS))
        )
    board_opts = {}
    if opts.mode:
        modes = getattr(mod, "MODES", ())
        if opts.mode not in modes:
            raise SystemExit(
                "boot: board %s has no mode %r (modes: %s)"
                % (opts.board, opts.mode, ", ".join(modes) or "none")
            )
        board_opts["mode"] = opts.mode
    try:
        res = boot(
            opts.board,
            opts.xen,
            " ".join(opts.args),
            timeout=opts.timeout,
            echo=lambda l: print(l, flush=True),
            log=opts.log,
            image=opts.image,
            **board_opts,
        )
    except KeyboardInterrupt:
        print("\nboot: interrupted", file=sys.stderr)
        return 130
    if res.timed_out:
        print("boot: stopped after %d s (timeout)" % opts.timeout, file=sys.stderr)
        return 124
    if res.guest_exit is not None:
        return res.guest_exit
    print("boot: QEMU ended with status %s" % res.status, file=sys.stderr)
    return 0 if res.status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
