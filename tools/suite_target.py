#!/usr/bin/env python3
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
Everything the line carries is also written to --log.
"""
import argparse
import os
import selectors
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

XEN_EXTRA = "conswitch=` loglvl=none/none"
MONITOR_ARGS = "repl=1 exit=qemu"
READY = b">>> "   # the friendly REPL's first prompt


def command(board, xen, mode=None, image=None, args=MONITOR_ARGS):
    mod = boot.load_board(board)
    if xen not in mod.XEN_VERSIONS:
        raise SystemExit("suite_target: Xen %s is not fetched for %s (have: %s)"
                         % (xen, board, ", ".join(mod.XEN_VERSIONS)))
    image = image or boot.image_path(board)
    if os.path.isdir(image):
        image = os.path.join(image, getattr(mod, "IMAGE", "stubmon.elf"))
    if not os.path.exists(image):
        raise SystemExit("suite_target: no image %s (make image BOARD=%s)" % (image, board))
    opts = {"mode": mode} if mode else {}
    cmd = mod.qemu_command(mod.xen_binary(boot.DEPS, xen), image, args, **opts)
    i = cmd.index("-append") + 1
    cmd[i] = cmd[i] + " " + XEN_EXTRA
    return cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="x86_64")
    ap.add_argument("--xen", default="4.20")
    ap.add_argument("--mode")
    ap.add_argument("--image")
    ap.add_argument("--log", help="file that gets every byte of the serial line")
    ap.add_argument("--boot-timeout", type=float, default=90,
                    help="seconds to wait for the REPL prompt")
    opts = ap.parse_args()
    cmd = command(opts.board, opts.xen, opts.mode, opts.image)
    log = open(opts.log, "wb") if opts.log else None
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=0)
    out_fd, in_fd = proc.stdout.fileno(), proc.stdin.fileno()
    sel = selectors.DefaultSelector()
    sel.register(out_fd, selectors.EVENT_READ, "qemu")
    # Until the prompt: QEMU's output only goes to the log, and what the
    # runner types waits (typed into Xen's boot it would reach Xen, not us).
    seen, held, ready = b"", b"", False
    start = time.monotonic()
    sel.register(0, selectors.EVENT_READ, "runner")
    try:
        while True:
            timeout = None
            if not ready:
                timeout = opts.boot_timeout - (time.monotonic() - start)
                if timeout <= 0:
                    sys.stderr.write("suite_target: no REPL prompt after %d s\n" % opts.boot_timeout)
                    return 1
            for key, _ in sel.select(timeout):
                if key.data == "qemu":
                    data = os.read(out_fd, 65536)
                    if not data:
                        sys.stderr.write("suite_target: QEMU ended (status %s)\n" % proc.wait())
                        return 1
                    if log:
                        log.write(data)
                        log.flush()
                    if ready:
                        os.write(1, data)
                    else:
                        seen = (seen + data)[-4096:]
                        if seen.endswith(READY):
                            ready = True
                            if held:
                                os.write(in_fd, held)
                else:
                    data = os.read(0, 65536)
                    if not data:
                        return 0   # the runner closed its end
                    if ready:
                        os.write(in_fd, data)
                    else:
                        held += data
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
