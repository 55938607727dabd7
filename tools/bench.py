#!/usr/bin/env python3
"""`make bench`: figures for one board, measured on real Xen under QEMU.
Prints, asserts nothing. The machine is shared and noisy: compare figures
from one run only.

- image size (text/data/bss of the ELF)
- guest time from Xen handing over to the domain to the first table line
  (Xen's console timestamp of "Freed NNNkB init memory", the last thing Xen
  prints before dom0 runs, against the monitor's Xen clock)
- time of one poll (list all domains, decode, format, print), median
- the monitor's own cpu_time per minute, with the default interval, total
  and outside the polls (idle between polls)
- x86_64: the same for 1, 10, 100 and 1000 domains (dom0 + empty paused
  demo domains), as a table and as JSON (format=json)
- the rebuild after a one-line edit of a monitor module (only the frozen
  part is rebuilt: mpy-cross of that module, frozen_content.c, link)
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot          # noqa: E402
import consolelog    # noqa: E402

STATS = re.compile(r"^stubmon: stats poll=(\d+) now_us=(\d+) due_us=\d+ poll_us=(\d+) cpu_us=(\d+)( .*)?$")


def stats(lines):
    return [tuple(int(g) for g in m.groups()[:4]) for m in map(STATS.match, lines) if m]


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def size(board):
    # always the ELF's sections (the loader's file may be a raw image)
    elf = os.path.join(boot.REPO, "build", board, "stubmon.elf")
    out = subprocess.run(["size", elf], capture_output=True, text=True, check=True).stdout
    text, data, bss = out.splitlines()[1].split()[:3]
    return int(text), int(data), int(bss)


def board_config(board):
    cfg = {}
    with open(os.path.join(boot.REPO, "boards", board, "mpconfigboard.mk")) as f:
        for line in f:
            key, eq, value = line.partition("=")
            if eq and not line.startswith("#"):
                cfg[key.strip()] = value.strip()
    return cfg


def measure(board, xen, interval_s, polls, **board_opts):
    args = "interval=%d count=%d stats=1 exit=qemu" % (interval_s, polls)
    res = boot.boot(board, xen, args, timeout=interval_s * polls + 120, **board_opts)
    rows = stats(res.lines)
    if res.guest_exit != 0 or len(rows) < 2:
        print("  xen %s: run failed (exit %s); last lines:\n    %s"
              % (xen, res.guest_exit, "\n    ".join(res.lines[-10:])))
        return None
    handover = consolelog.xen_stamp(res.lines, "init memory")
    first = rows[0][1]
    span_us = rows[-1][1] - rows[0][1]
    cpu_us = rows[-1][3] - rows[0][3]
    in_polls_us = sum(r[2] for r in rows[1:])
    return {
        "first_table_ms": (first - handover) / 1000 if handover else None,
        "poll_us": median([r[2] for r in rows]),
        "cpu_ms_per_min": cpu_us * 60000 / span_us,
        "idle_cpu_ms_per_min": (cpu_us - in_polls_us) * 60000 / span_us,
        "span_s": span_us / 1e6,
        "boot_wall_s": res.seconds,
    }


def scaling(board, xen, interval_s=3, polls=4, sizes=(1, 10, 100, 1000)):
    """One poll's time and the monitor's own CPU time per minute for N
    domains in all: dom0 and N-1 empty paused domains it creates itself
    (demo=, kept). Serial output of 1000 rows is what a poll costs most."""
    print("  domains (xen %s, PV dom0, interval %d s, %d polls each; poll: median of all but the"
          " first):" % (xen, interval_s, polls))
    for fmt in ("table", "json"):
        for n in sizes:
            args = "demo=%d demo_keep=0 interval=%d count=%d stats=1 format=%s exit=qemu" % (
                n - 1, interval_s, polls, fmt)
            res = boot.boot(board, xen, args, timeout=interval_s * polls + 180)
            if any("unknown option 'format=" in l for l in res.lines):
                print("    %s: not in this image (no format= option)" % fmt)
                break
            rows = stats(res.lines)
            if res.guest_exit != 0 or len(rows) < 2:
                print("    %s, %d domains: run failed (exit %s); last lines:\n      %s"
                      % (fmt, n, res.guest_exit, "\n      ".join(res.lines[-6:])))
                continue
            span_us = rows[-1][1] - rows[0][1]
            cpu_us = rows[-1][3] - rows[0][3]
            print("    %-5s %4d domains: one poll %7d us; own cpu %8.1f ms/min (%4.1f%%);"
                  " %6d console lines" % (fmt, n, median([r[2] for r in rows[1:]]),
                                           cpu_us * 60000 / span_us, cpu_us * 100 / span_us,
                                           len(res.lines)))


def rebuild(board, module="main.py"):
    """`make` after a one-line edit of monitor/<module>: the same work as
    touching it (makemanifest goes by timestamp), so the file is touched,
    not edited. Median of 3, and a `make` with nothing to do."""
    cmd = ["make", "-s", "-C", os.path.join(boot.REPO, "port-xen"), "BOARD=" + board, "-j2"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(3):
        os.utime(os.path.join(boot.REPO, "monitor", module))
        t = time.monotonic()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - t)
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    print("  rebuild after a one-line edit of monitor/%s: %.2f s (median of 3; make with nothing"
          " to do: %.2f s)" % (module, median(times), time.monotonic() - t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--board", default="x86_64")
    ap.add_argument("--interval", type=int, default=3, help="seconds, the monitor's default")
    ap.add_argument("--polls", type=int, default=8)
    ap.add_argument("--only", choices=("scaling", "rebuild"), help="just this part")
    opts = ap.parse_args()
    if opts.only == "scaling":
        return scaling(opts.board, "4.20")
    if opts.only == "rebuild":
        return rebuild(opts.board)
    mod = boot.load_board(opts.board)
    text, data, bss = size(opts.board)
    print("board %s" % opts.board)
    cfg = board_config(opts.board)
    print("  image: text %d B, data %d B, bss %d B (of which heap %s B, stack %s B)"
          % (text, data, bss, cfg.get("HEAP_SIZE"), cfg.get("STACK_SIZE")))
    loaded = boot.image_path(opts.board)
    if not loaded.endswith(".elf"):   # arm64: the raw Image Xen loads
        print("  %s: %d B" % (os.path.basename(loaded), os.path.getsize(loaded)))
    # every boot mode of the board (x86_64: PV and PVH) side by side
    modes = getattr(mod, "MODES", None) or (None,)
    for xen in mod.XEN_VERSIONS:
        for mode in modes:
            r = measure(opts.board, xen, opts.interval, opts.polls, **({"mode": mode} if mode else {}))
            if r:
                report("%s%s" % (xen, " " + mode if mode else ""), opts.interval, r)
    if opts.board == "x86_64":
        scaling(opts.board, "4.20")
    rebuild(opts.board)
    if opts.board == "x86_64":   # stubmon as a domU: xl create in a Linux dom0 (tools/dom0)
        sys.path.insert(0, os.path.join(boot.REPO, "tools", "dom0"))
        import xlbench
        xlbench.main()


def report(setup, interval, r):
    print("  xen %s: first table %.1f ms after Xen hands over; one poll %d us (median);"
          % (setup, r["first_table_ms"], r["poll_us"]))
    print("      own cpu %.2f ms/min at interval %d s (%.2f ms/min outside polls),"
          " over %.0f s of guest time; whole boot %.1f s wall"
          % (r["cpu_ms_per_min"], interval, r["idle_cpu_ms_per_min"], r["span_s"], r["boot_wall_s"]))


if __name__ == "__main__":
    main()
