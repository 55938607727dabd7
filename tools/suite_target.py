#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The stubmon image as a MicroPython test target: boots Xen + the image
(repl=1) under QEMU and, once its REPL prompt is up, joins this process's
stdin/stdout to the serial line. MicroPython's tests/run-tests.py drives it
through pyboard.py's raw REPL:

    run-tests.py -t 'exec:tools/suite_target.py --board x86_64 --xen 4.20' ...

Xen's command line gets two additions here, so that nothing but the guest
speaks on the line pyboard reads:
  conswitch=`   switch code 0: Xen no longer holds back Ctrl-A (its input
                switch is Ctrl-A three times; a lone Ctrl-A waits for the
                next byte), which pyboard sends alone to enter the raw REPL
  loglvl=none   Xen's own messages (printk) stay off the line once booted;
                dom0's writes go out directly, whatever the level.
(Xen's messages about guests, guest_loglvl, stay: a crash is said.)
A guest that stops answering is booted again, see relay(). Everything the
line carries is also written to --log, with a "[suite_target: ...]" line
at each boot.
"""

import argparse
import os
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

XEN_EXTRA = "conswitch=` loglvl=none/none"
MONITOR_ARGS = "repl=1 exit=qemu"
READY = b">>> "  # the friendly REPL's first prompt
# Every input the raw REPL gets is answered at once (an echo, "OK", a
# banner, a raw-paste window); none for this long means the guest is gone.
DEAD_AFTER = 8.0


def command(board, xen, mode=None, image=None, args=MONITOR_ARGS):
    mod = boot.load_board(board)
    if xen not in mod.XEN_VERSIONS:
        raise SystemExit(
            "suite_target: Xen %s is not fetched for %s (have: %s)"
            % (xen, board, ", ".join(mod.XEN_VERSIONS))
        )
    image = image or boot.image_path(board)
    if os.path.isdir(image):
        image = os.path.join(image, getattr(mod, "IMAGE", "stubmon.elf"))
    if not os.path.exists(image):
        raise SystemExit("suite_target: no image %s (make image BOARD=%s)" % (image, board))
    # dom0 alone where a board boots other guests by default (arm64's
    # dom0less domUs): their console writes would share the line.
    if mode is None and "dom0" in getattr(mod, "MODES", ()):
        mode = "dom0"
    opts = {"mode": mode} if mode else {}
    # Xen's command line: -append on x86; on arm64 the device tree's
    # xen,xen-bootargs, which the board makes from its xen_args().
    board_xen_args = getattr(mod, "xen_args", None)
    if board_xen_args:
        mod.xen_args = lambda *a, **k: board_xen_args(*a, **k) + " " + XEN_EXTRA
    cmd = mod.qemu_command(mod.xen_binary(boot.DEPS, xen), image, args, **opts)
    i = cmd.index("-append") + 1
    if XEN_EXTRA not in cmd[i]:
        cmd[i] = cmd[i] + " " + XEN_EXTRA
    return cmd


class Target:
    """One QEMU; boot() starts it and returns once the REPL prompt is up
    (what it printed so far went to the log only)."""

    def __init__(self, cmd, log, boot_timeout):
        self.cmd, self.log, self.boot_timeout = cmd, log, boot_timeout
        self.proc = None
        self.boots = 0

    def boot(self):
        self.stop()
        self.boots += 1
        self.note("boot %d" % self.boots)
        self.proc = subprocess.Popen(
            self.cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,
        )
        seen, start = b"", time.monotonic()
        while not seen.endswith(READY):
            left = self.boot_timeout - (time.monotonic() - start)
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise SystemExit(
                    "suite_target: no REPL prompt %d s after boot %d"
                    % (self.boot_timeout, self.boots)
                )
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                raise SystemExit(
                    "suite_target: QEMU ended during boot %d (status %s)"
                    % (self.boots, self.proc.wait())
                )
            self.record(data)
            seen = (seen + data)[-4096:]

    def note(self, text):
        if self.log:
            self.log.write(("\n[suite_target: %s]\n" % text).encode())
            self.log.flush()

    def record(self, data):
        if self.log:
            self.log.write(data)
            self.log.flush()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        self.proc = None


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--board", default="x86_64")
    ap.add_argument("--xen", default="4.20")
    ap.add_argument("--mode")
    ap.add_argument("--image")
    ap.add_argument("--log", help="file that gets every byte of the serial line")
    ap.add_argument(
        "--boot-timeout", type=float, default=90, help="seconds to wait for the REPL prompt"
    )
    ap.add_argument(
        "--dead-after",
        type=float,
        default=DEAD_AFTER,
        help="seconds of silence after input that mean the guest is gone",
    )
    opts = ap.parse_args()
    target = Target(
        command(opts.board, opts.xen, opts.mode, opts.image),
        open(opts.log, "wb") if opts.log else None,
        opts.boot_timeout,
    )
    # pyboard.py ends its target with SIGTERM to the process group: QEMU
    # must go with us, not linger.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        target.boot()
        return relay(target, opts.dead_after)
    finally:
        target.stop()


def relay(target, dead_after):
    """Runner's bytes to the guest, the guest's to the runner. A guest that
    died (a crash, a Xen panic, QEMU gone) is booted again and gets the
    input that found it dead: the test that killed it has failed already
    (pyboard's timeout), and the next one finds a fresh REPL."""
    pending = b""  # input the guest has not answered yet
    since = None  # when it was sent
    while True:
        out = target.proc.stdout
        timeout = None if since is None else max(0, since + dead_after - time.monotonic())
        ready = select.select([out, sys.stdin], [], [], timeout)[0]
        if not ready:
            target.note("no answer %.0f s after input: booting again" % dead_after)
            target.boot()
            os.write(target.proc.stdin.fileno(), pending)
            since = time.monotonic()
            continue
        if out in ready:
            data = os.read(out.fileno(), 65536)
            if not data:
                target.note("QEMU ended (status %s): booting again" % target.proc.wait())
                target.boot()
                if pending:
                    os.write(target.proc.stdin.fileno(), pending)
                    since = time.monotonic()
                continue
            target.record(data)
            os.write(1, data)
            pending, since = b"", None
        if sys.stdin in ready:
            data = os.read(0, 65536)
            if not data:
                return 0  # the runner closed its end
            os.write(target.proc.stdin.fileno(), data)
            pending += data
            since = since or time.monotonic()


if __name__ == "__main__":
    sys.exit(main())
