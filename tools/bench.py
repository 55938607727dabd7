#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
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
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "exporter")
)
import boot  # noqa: E402
from stubmon_exporter import consolelog  # noqa: E402

STATS = re.compile(
    r"^stubmon: stats poll=(\d+) now_us=(\d+) due_us=\d+ poll_us=(\d+) cpu_us=(\d+)( .*)?$"
)


def stats(lines):
    return [tuple(int(g) for g in m.groups()[:4]) for m in map(STATS.match, lines) if m]


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def size(board):
    # always the ELF's sections (the loader's file may be a raw image)
    elf = boot.image_path(board).replace(".bin", ".elf")
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
        print(
            "  xen %s: run failed (exit %s); last lines:\n    %s"
            % (xen, res.guest_exit, "\n    ".join(res.lines[-10:]))
        )
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


def stat_rows(lines):
    """Every stats line as a dict of its key=value fields (ints where they are)."""
    out = []
    for l in lines:
        if l.startswith("stubmon: stats "):
            d = {}
            for kv in l.split()[2:]:
                k, _, v = kv.partition("=")
                d[k] = int(v) if v.lstrip("-").isdigit() else v
            out.append(d)
    return out


def run_stats(board, xen, args, timeout, stats=2, **board_opts):
    """stats=2 collects the heap in every stats line (after poll_us is
    taken): right for the heap figure, wrong for CPU time (a collection of
    a few MiB costs about 10 ms under TCG)."""
    res = boot.boot(
        board, xen, args + " stats=%d exit=qemu" % stats, timeout=timeout, **board_opts
    )
    rows = stat_rows(res.lines)
    if res.guest_exit != 0 or len(rows) < 2:
        print(
            "    %s: run failed (exit %s); last lines:\n      %s"
            % (args, res.guest_exit, "\n      ".join(res.lines[-6:]))
        )
        return None, res
    return rows, res


def listing(board, xen, sizes=(1, 10, 100, 1000), interval_s=3, polls=5):
    """The C listing of the same N domains (raw=1: the sysctl calls alone,
    timed in C) against the full poll with output off (quiet=1), with every
    row (view=all), with the rows that changed (view=changes) and as JSON
    (format=json view=all); output off is quiet=1 view=all: every row
    formatted, none said. Medians of the polls after the first (poll 1
    decodes every record for the first time). N: dom0 and N-1 empty paused
    demo domains. The heap after a collection (stats=2) at each N."""
    print(
        "  one poll, us (xen %s, PV dom0, interval %d s, medians of polls 2-%d):"
        % (xen, interval_s, polls)
    )
    print(
        "    %5s %9s %9s %7s %10s %10s %10s %9s"
        % ("N", "raw C", "quiet", "quiet/C", "view=all", "changes", "json", "heap KiB")
    )
    for n in sizes:
        base = "demo=%d demo_keep=0 interval=%d count=%d" % (n - 1, interval_s, polls)
        t = 60 + interval_s * polls + n // 10
        fig = {}
        rows, _ = run_stats(board, xen, base + " raw=1 quiet=1 view=all", t)
        if rows:
            fig["raw"] = median(
                [r["raw_us"] for r in rows[1:] if isinstance(r.get("raw_us"), int)]
            )
            fig["quiet"] = median([r["poll_us"] for r in rows[1:]])
            fig["heap"] = median([r["heap"] for r in rows[1:]]) // 1024
        for key, extra in (
            ("all", " view=all"),
            ("changes", " view=changes"),
            ("json", " format=json view=all"),
        ):
            rows, _ = run_stats(board, xen, base + extra, t)
            if rows:
                fig[key] = median([r["poll_us"] for r in rows[1:]])
        ratio = (
            ("%.1fx" % (fig["quiet"] / fig["raw"])) if fig.get("raw") and fig.get("quiet") else "-"
        )
        print(
            "    %5d %9s %9s %7s %10s %10s %10s %9s"
            % (
                n,
                fig.get("raw", "-"),
                fig.get("quiet", "-"),
                ratio,
                fig.get("all", "-"),
                fig.get("changes", "-"),
                fig.get("json", "-"),
                fig.get("heap", "-"),
            )
        )
    print(
        "    (goal: quiet within 5x the raw C listing at N=1000; view=all and json include"
        " formatting, the output is sent after the poll)"
    )


def extras(board, xen, sizes=(1, 10, 100), interval_s=1, polls=5):
    """Issue 14: one poll's time (view=all) without and with pcpus=1
    vcpus=1 xenlog=1 (a getcpuinfo, one getvcpuinfo per vCPU of each row,
    readconsole). N: dom0 and N-1 empty paused demo domains (no vCPU
    initialised: one refused getvcpuinfo each). Medians of polls 2-N."""
    print(
        "  one poll, us, without and with pcpus=1 vcpus=1 xenlog=1 (xen %s, PV dom0, "
        "medians of polls 2-%d):" % (xen, polls)
    )
    print("    %5s %9s %9s" % ("N", "without", "with"))
    for n in sizes:
        base = "demo=%d demo_keep=0 interval=%d count=%d view=all" % (n - 1, interval_s, polls)
        fig = []
        for extra in ("", " pcpus=1 vcpus=1 xenlog=1"):
            rows, _ = run_stats(board, xen, base + extra, 60 + interval_s * polls, stats=1)
            fig.append(median([r["poll_us"] for r in rows[1:]]) if rows else "-")
        print("    %5d %9s %9s" % (n, fig[0], fig[1]))


def cpu(board, xen, span_s=30):
    """The monitor's own CPU time (its vCPU's runstate) per minute of
    guest time, between the first and the last stats line."""
    print("  own CPU per minute (xen %s, PV dom0, about %d s each):" % (xen, span_s))
    for domains in (1, 100):
        for interval_s in (1, 3):
            for quiet in (0, 1):
                polls = span_s // interval_s + 1
                args = "demo=%d demo_keep=0 interval=%d count=%d quiet=%d" % (
                    domains - 1,
                    interval_s,
                    polls,
                    quiet,
                )
                rows, res = run_stats(board, xen, args, 120 + span_s + domains, stats=3)
                if not rows or len(rows) < 3:
                    continue
                rows = rows[1:]  # polls 2 and the last: after the demo domains' creation
                # and first decode, and no stats lines between
                span = rows[-1]["now_us"] - rows[0]["now_us"]
                used = rows[-1]["cpu_us"] - rows[0]["cpu_us"]
                print(
                    "    %4d domains, interval %d s, %-10s %7.1f ms/min = %5.2f %% of a vCPU"
                    % (
                        domains,
                        interval_s,
                        "output off" if quiet else "table",
                        used * 60000 / span,
                        used * 100 / span,
                    )
                )
    print(
        "    (goal: under 0.1 % of a vCPU at interval 3 with 1 domain; stats=3: no stats line"
        " between poll 2 and the last; output off prints nothing between them)"
    )


BOOT_STAMPS = re.compile(r"^stubmon: boot entry_us=(\d+) first_line_us=(\d+) first_row_us=(\d+)$")


def boot_to_poll_1(board, xen, mode, image=None):
    """One boot that ends after poll 1 (its stats line and boot stamps)."""
    return boot.boot(
        board,
        xen,
        "interval=1 count=1 stats=1 exit=qemu",
        timeout=120,
        image=image,
        **({"mode": mode} if mode else {}),
    )


def boot_stamps(board, xen, runs=3):
    """Guest time from the image's entry point (stamped in C) to its first
    console line and to the first table row, and from Xen's hand-over
    ("Freed ... init memory", Xen's last line before dom0 runs) to the
    first row. Medians of `runs` boots per mode."""
    mod = boot.load_board(board)
    print("  boot (xen %s, medians of %d boots), ms:" % (xen, runs))
    for mode in getattr(mod, "MODES", None) or (None,):
        got = []
        for _ in range(runs):
            res = boot_to_poll_1(board, xen, mode)
            m = next((BOOT_STAMPS.match(l) for l in res.lines if BOOT_STAMPS.match(l)), None)
            if not m:
                continue
            e, f, r = map(int, m.groups())
            hand = consolelog.xen_stamp(res.lines, "init memory")
            got.append((f - e, r - e, (r - hand) if hand else None))
        if not got:
            print("    %s: no boot line" % mode)
            continue
        hand = [g[2] for g in got if g[2] is not None]
        print(
            "    %-8s entry->first line %6.1f   entry->first row %6.1f   hand-over->first row %s"
            % (
                mode or board,
                median([g[0] for g in got]) / 1000,
                median([g[1] for g in got]) / 1000,
                "%.1f" % (median(hand) / 1000) if hand else "-",
            )
        )
    print("    (goal: entry to first row under 10 ms)")


def control_domain(board, span_s=30):
    """The monitor as a control domain without dom0 (Xen 4.21+, arm64
    dom0less `capabilities = <0x1>`, docs/control-domain.md) beside it as
    arm64 dom0 on the same release, one boot each: guest time from the
    image's entry to its first table row, and its own CPU per minute at
    interval=3, its table printed (stats=3: polls 2 and the last)."""
    mod = boot.load_board(board)
    releases = [x for x in mod.XEN_VERSIONS if x not in mod.DEBIAN_XEN]
    print("  control domain vs dom0 (arm64, interval 3, one boot each):")
    if not releases:
        print("    skipped: no Xen 4.21/4.22 (../shared/xen)")
        return
    polls = span_s // 3 + 1
    args = "interval=3 count=%d stats=3 exit=qemu" % polls
    for xen in releases:
        for kind in ("dom0", "control"):
            res = boot.boot(
                board,
                xen,
                args,
                timeout=120 + span_s,
                mode=kind,
                until=(lambda l: mod.CONTROL_EXIT.match(l)) if kind == "control" else None,
            )
            lines = consolelog.guest_lines(res.lines, 1) if kind == "control" else res.lines
            rows = stat_rows(lines)
            m = next((BOOT_STAMPS.match(l) for l in lines if BOOT_STAMPS.match(l)), None)
            if len(rows) < 3 or not m:
                print(
                    "    xen %s %s: run failed; last lines:\n      %s"
                    % (xen, kind, "\n      ".join(res.lines[-4:]))
                )
                continue
            e, _, r = map(int, m.groups())
            span = rows[-1]["now_us"] - rows[1]["now_us"]
            used = rows[-1]["cpu_us"] - rows[1]["cpu_us"]
            print(
                "    xen %s %-8s entry->first row %6.1f ms   own CPU %6.1f ms/min"
                % (xen, kind, (r - e) / 1000, used * 60000 / span)
            )


HEAP_LINE = re.compile(r"boot: stubmon \S+, heap (\d+) KiB of the domain's (\d+) KiB")


def smallest_dom0(board, xen):
    """The smallest dom0_mem (MiB) the monitor boots and lists domains in,
    each boot mode, with what the one below it printed."""
    mod = boot.load_board(board)
    print("  smallest dom0_mem (xen %s):" % xen)
    for mode in getattr(mod, "MODES", None) or (None,):
        if board == "arm64" and mode != "dom0":
            continue
        below, found = None, None
        for mib in (1, 2, 3, 4, 6, 8):
            opts = {"dom0_mem_mib": mib}
            if mode:
                opts["mode"] = mode  # arm64: dom0 alone, no dom0less guests
            res = boot.boot(board, xen, "interval=1 count=1 exit=qemu", timeout=60, **opts)
            heap = next((HEAP_LINE.search(l) for l in res.lines if HEAP_LINE.search(l)), None)
            if res.guest_exit == 0 and consolelog.polls(res.lines):
                found = (mib, heap.group(1) if heap else "?")
                break
            said = [l for l in res.lines if "anic" in l or "too small" in l or "rror" in l]
            below = (
                mib,
                (said[-1] if said else res.lines[-1] if res.lines else "no output")[:150],
            )
        print(
            "    %-8s %s%s"
            % (
                mode or board,
                "%d MiB (heap %s KiB)" % found if found else "none up to 8 MiB",
                "; %d MiB: %s" % below if below else "",
            )
        )


def fresh(board="x86_64", xen="4.20"):
    """`make run` from a fresh clone to the first table row: clone this
    checkout (its committed state), fetch what a run needs into the clone's
    own .deps (network included; host packages already installed are not
    installed again), build, boot. Wall time to the first row."""
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="stubmon-fresh-")
    try:
        t0 = time.monotonic()
        subprocess.run(["git", "clone", "-q", boot.REPO, tmp], check=True)
        proc = subprocess.Popen(
            [
                "timeout",
                "900",
                "make",
                "run",
                "BOARD=" + board,
                "XEN=" + xen,
                "ARGS=interval=1 count=1 exit=qemu",
            ],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        first, fetched = None, None
        for line in proc.stdout:
            if (
                fetched is None
                and not line.startswith("deps:")
                and os.path.exists(os.path.join(tmp, ".deps", "run-%s-%s.txt" % (board, xen)))
            ):
                fetched = time.monotonic() - t0
            if first is None and line[:1] == " " and line.split()[:1] == ["0"]:
                first = time.monotonic() - t0
        proc.wait()
        print(
            "  make run from a fresh clone (BOARD=%s XEN=%s): fetched in %s s, first table row "
            "after %s s (exit %d; goal: under 120 s)"
            % (
                board,
                xen,
                "%.0f" % fetched if fetched else "?",
                "%.0f" % first if first else "?",
                proc.returncode,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def modules_text(board):
    """Text bytes of the MicroPython modules the monitor uses in place of
    hand-written code (json, time, and io for json.loads): what they add
    to the image."""
    total = 0
    for obj in ("extmod/modjson.o", "extmod/modtime.o", "py/objstringio.o"):
        path = os.path.join(boot.build_dir(board), obj)
        if os.path.exists(path):
            out = subprocess.run(["size", path], capture_output=True, text=True).stdout
            if out:
                total += int(out.splitlines()[1].split()[0])
    return total


def decode(script="bench_decode.py"):
    """tools/SCRIPT under the MicroPython unix port."""
    exe = os.path.join(boot.REPO, "build", "unix", "micropython")
    if not os.path.exists(exe):
        subprocess.run(
            ["bash", os.path.join(boot.REPO, "tools", "build-unix-micropython.sh")], check=True
        )
    env = dict(
        os.environ,
        MICROPYPATH=os.pathsep.join(
            [
                os.path.join(boot.REPO, p)
                for p in ("monitor", "build/xenabi/x86_64", "tests/unit/fake")
            ]
        ),
    )
    r = subprocess.run(
        [exe, "-X", "heapsize=8M", os.path.join(boot.REPO, "tools", script)],
        capture_output=True,
        text=True,
        env=env,
    )
    print(r.stdout.rstrip() or "  %s: failed: %s" % (script, r.stderr.strip()[-300:]))


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
    print(
        "  rebuild after a one-line edit of monitor/%s: %.2f s (median of 3; make with nothing"
        " to do: %.2f s)" % (module, median(times), time.monotonic() - t)
    )


def exporter(board, xen, n=1000, polls=4):
    """stubmon-exporter on a real console: N domains (dom0 and N-1 paused
    demo domains), format=table+json, every row: its parse rate (lines and
    polls a second, one core of this host), /metrics' size and time to
    render, and the whole exporter's peak RSS reading that log (--once)."""
    import tempfile
    from stubmon_exporter.metrics import Collector
    from stubmon_exporter.state import Monitor
    from prometheus_client import CollectorRegistry, generate_latest

    args = "demo=%d demo_keep=0 interval=3 count=%d view=all format=table+json exit=qemu" % (
        n - 1,
        polls,
    )
    res = boot.boot(board, xen, args, timeout=120 + n // 5)
    raw = [l.encode() for l in res.lines]
    nbytes = sum(len(l) + 1 for l in raw)
    mon = Monitor("bench", log=open(os.devnull, "w"))
    t0 = time.perf_counter()
    for l in raw:
        mon.feed_bytes(l)
    dt = time.perf_counter() - t0
    if len(mon.domains) != n or mon.polls != polls:
        print(
            "  exporter: the run did not give %d polls of %d domains (%d polls, %d domains); "
            "last lines:\n    %s"
            % (polls, n, mon.polls, len(mon.domains), "\n    ".join(res.lines[-4:]))
        )
        return
    reg = CollectorRegistry(auto_describe=False)
    reg.register(Collector([mon]))
    t1 = time.perf_counter()
    text = generate_latest(reg)
    render = time.perf_counter() - t1
    with tempfile.NamedTemporaryFile(suffix=".log") as f:
        f.write(b"\n".join(raw) + b"\n")
        f.flush()
        env = dict(os.environ, PYTHONPATH=os.path.join(boot.REPO, "exporter"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "stubmon_exporter.cli", "--once", "--print", f.name],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not QEMU's
        proc.returncode = status
    rss = usage.ru_maxrss
    print(
        "  exporter, %d domains, %d polls as table+json (%d lines, %d KiB of console):"
        % (n, polls, len(raw), nbytes // 1024)
    )
    print(
        "    parse: %.0f lines/s, %.1f MiB/s, %.0f ms a poll (table and its JSON twin)"
        % (len(raw) / dt, nbytes / dt / 2**20, dt / polls * 1000)
    )
    print(
        "    /metrics: %d KiB, %d series, rendered in %.0f ms; peak RSS of the exporter"
        " reading the log: %d MiB"
        % (len(text) // 1024, text.count(b"\n") - text.count(b"\n#"), render * 1000, rss // 1024)
    )


PARTS = (
    "size",
    "releases",
    "listing",
    "extras",
    "cpu",
    "boot",
    "memory",
    "control",
    "rebuild",
    "xl",
    "fresh",
    "exporter",
    "decode",
    "profile",
    "against",
    "refmon",
    "warm",
)
# parts a plain make bench leaves out: decode (make bench part of size),
# against (needs --against REV)
NOT_BY_DEFAULT = ("decode", "against")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--board", default="x86_64")
    ap.add_argument("--interval", type=int, default=3, help="seconds, the monitor's default")
    ap.add_argument("--polls", type=int, default=8)
    ap.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="just this part (may be given more than once)",
    )
    ap.add_argument(
        "--against",
        metavar="REV",
        help="part against: one poll and the image's size, this tree's against REV's",
    )
    opts = ap.parse_args()
    parts = opts.only or (
        ["against"] if opts.against else [p for p in PARTS if p not in NOT_BY_DEFAULT]
    )
    x86 = opts.board == "x86_64"
    mod = boot.load_board(opts.board)
    print("board %s" % opts.board)
    if "size" in parts:
        text, data, bss = size(opts.board)
        cfg = board_config(opts.board)
        print(
            "  image: text %d B, data %d B, bss %d B (stack %s B; the heap is the domain's memory,"
            " %s to %s B)"
            % (text, data, bss, cfg.get("STACK_SIZE"), cfg.get("HEAP_MIN"), cfg.get("HEAP_MAX"))
        )
        mods = modules_text(opts.board)
        print(
            "  text without MicroPython's json, time and io modules: %d B (they add %d B)"
            % (text - mods, mods)
        )
        loaded = boot.image_path(opts.board)
        if not loaded.endswith(".elf"):  # arm64: the raw Image Xen loads
            print("  %s: %d B" % (os.path.basename(loaded), os.path.getsize(loaded)))
        import bench_against

        rels, every, one = bench_against.layouts_cost(opts.board)
        print(
            "  production image with the layouts of %s: text+data %d B; with 4.17's only: %d B;"
            " each other release adds %d B"
            % (
                ", ".join(["%d.%d" % r for r in rels]),
                every,
                one,
                (every - one) // max(1, len(rels) - 1),
            )
        )
    if "decode" in parts or (x86 and "size" in parts):
        decode()
    if "profile" in parts and x86:
        decode("bench_profile.py")
    if "releases" in parts:
        # every release and boot mode of the board (x86_64: PV and PVH) side by side
        modes = getattr(mod, "MODES", None) or (None,)
        for xen in mod.XEN_VERSIONS:
            for mode in modes:
                r = measure(
                    opts.board, xen, opts.interval, opts.polls, **({"mode": mode} if mode else {})
                )
                if r:
                    report("%s%s" % (xen, " " + mode if mode else ""), opts.interval, r)
    if "listing" in parts and x86:
        listing(opts.board, "4.20")
    if "extras" in parts and x86:
        extras(opts.board, "4.20")
    if "cpu" in parts and x86:
        cpu(opts.board, "4.20")
    if "boot" in parts:
        boot_stamps(opts.board, "4.20")
    if "memory" in parts:
        smallest_dom0(opts.board, "4.20")
    if "control" in parts and opts.board == "arm64":
        control_domain(opts.board)
    if "rebuild" in parts:
        rebuild(opts.board)
    if "xl" in parts and x86:  # stubmon as a domU: xl create in a Linux dom0 (tools/dom0)
        sys.path.insert(0, os.path.join(boot.REPO, "tools", "dom0"))
        import xlbench

        xlbench.main()
    if "fresh" in parts and x86:
        fresh()
    if "exporter" in parts and x86:
        exporter(opts.board, "4.20")
    if "against" in parts and x86:
        if not opts.against:
            sys.exit("bench: part against needs --against REV (make bench BENCH_AGAINST=REV)")
        import bench_against

        bench_against.compare(opts.board, "4.20", opts.against, run_stats, median)
    if "refmon" in parts:  # against the bare C reference monitor (tools/refmon)
        import bench_refmon

        bench_refmon.compare(opts.board, stat_rows)
    if "warm" in parts:  # a first run's cost under TCG (tools/warm)
        import bench_warm

        bench_warm.compare(opts.board, boot_to_poll_1, median)


def report(setup, interval, r):
    print(
        "  xen %s: first table %.1f ms after Xen hands over; one poll %d us (median);"
        % (setup, r["first_table_ms"], r["poll_us"])
    )
    print(
        "      own cpu %.2f ms/min at interval %d s (%.2f ms/min outside polls),"
        " over %.0f s of guest time; whole boot %.1f s wall"
        % (r["cpu_ms_per_min"], interval, r["idle_cpu_ms_per_min"], r["span_s"], r["boot_wall_s"])
    )


if __name__ == "__main__":
    main()
