# SPDX-License-Identifier: MIT
"""`make bench --only refmon`: stubmon against the bare C reference monitor
(tools/refmon: the port's own boot heads, hypercall stub, console, clock,
event channels and watchdog with a few hundred lines of C in place of
MicroPython; docs/benchmarks.md, "The C reference monitor").

Both are booted the same way (tools/boot.py's boot(), the same Xen, board
and mode; the C one through its `image`), in one run, alternating: stubmon,
refmon, stubmon, refmon, ... Each boot runs `interval=3 count=N stats=3
exit=qemu`, its table printed, and gives both figures, taken as bench.py
takes stubmon's. Kinds: x86_64 PV and PVH dom0 and arm64 dom0, one domain
listed (dom0 alone); arm64 dom0 next to the board's four dom0less guests,
and the monitor as a control domain without dom0 next to them (Xen 4.21,
bench.control_domain()), five domains listed; the guests are stubmon's
Image as `role=guest` for both monitors.

- own CPU per minute: the vCPU's own runstate (the stats lines' cpu_us)
  between poll 2 and the last poll (stats=3 prints no stats line between
  them), over the Xen time between them (bench.cpu(), control_domain());
- the first table row after Xen hands over: the "stubmon: boot" line's
  first_row_us against Xen's console stamp of "Freed ... init memory",
  Xen's last line before the domain runs, and after the image's entry
  (bench.boot_stamps()).

Medians over the boots of each monitor; every boot's own CPU listed too.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "exporter")
)
import boot  # noqa: E402
from stubmon_exporter import consolelog  # noqa: E402

REFMON_DIR = os.path.join(boot.REPO, "tools", "refmon")
INTERVAL_S = 3
# (label, Xen release, boot options, domains listed); arm64's dom0less and
# control-domain kinds list dom0 (or the monitor) and the board's four
# dom0less guests (stubmon's Image as `role=guest`, for both monitors)
KINDS = {
    "x86_64": (("pv dom0", "4.20", {"mode": "pv"}, 1), ("pvh dom0", "4.20", {"mode": "pvh"}, 1)),
    "arm64": (
        ("dom0", "4.20", {"mode": "dom0"}, 1),
        ("dom0less dom0", "4.20", {"mode": "dom0less"}, 5),
        ("control", "4.21", {"mode": "control"}, 5),
    ),
}


def build(board):
    """The C monitor for this board (make -C tools/refmon); its image path."""
    subprocess.run(
        ["nice", "-n", "5", "make", "-s", "-C", REFMON_DIR, "BOARD=" + board],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return refmon_image(board)


def refmon_image(board):
    """The file the board's loader takes: the ELF, or (arm64) the raw Image."""
    name = "refmon.bin" if getattr(boot.load_board(board), "IMAGE", "").endswith(".bin") else ""
    return os.path.join(boot.REPO, "build", "refmon-" + board, name or "refmon.elf")


# what a monitor does between polls, as its stats lines count it
# (port-xen/clock.c, which both monitors use)
IDLE_KEYS = ("sleeps", "blocks", "wakes", "early", "kicks")


def boot_line(lines):
    """(entry_us, first_line_us, first_row_us) of the "stubmon: boot" line."""
    for l in lines:
        if l.startswith("stubmon: boot entry_us="):
            return [int(kv.partition("=")[2]) for kv in l.split()[2:5]]
    return None


def one(board, xen, opts, image, span_s, stat_rows):
    """One boot: (own CPU ms/min, entry->first row ms, hand-over->first row
    ms or None, {idle count: per interval}), or a line saying why not."""
    mod = boot.load_board(board)
    polls = span_s // INTERVAL_S + 1
    args = "interval=%d count=%d stats=3 exit=qemu" % (INTERVAL_S, polls)
    control = opts.get("mode") == "control"
    extra = {}
    if board == "arm64" and image is not None:
        extra["domu_image"] = boot.image_path(board)  # stubmon's guests beside it
    res = boot.boot(
        board,
        xen,
        args,
        timeout=120 + span_s,
        image=image,
        until=(lambda l: mod.CONTROL_EXIT.match(l)) if control else None,
        **opts,
        **extra,
    )
    lines = consolelog.guest_lines(res.lines, 1) if control else res.lines
    rows = stat_rows(lines)
    stamps = boot_line(lines)
    ended = res.stopped if control else res.guest_exit == 0
    if not ended or len(rows) < 3 or not stamps:
        return "run failed (exit %s); last lines: %s" % (
            res.guest_exit,
            " | ".join(res.lines[-3:]),
        )
    span = rows[-1]["now_us"] - rows[1]["now_us"]
    used = rows[-1]["cpu_us"] - rows[1]["cpu_us"]
    entry, _, row = stamps
    hand = consolelog.xen_stamp(res.lines, "init memory")
    polls = rows[-1]["poll"] - rows[1]["poll"]
    idle = {k: (rows[-1][k] - rows[1][k]) / polls for k in IDLE_KEYS if k in rows[1]}
    return (used * 60000 / span, (row - entry) / 1000, (row - hand) / 1000 if hand else None, idle)


def median(values):
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


def fmt(v, spec="%6.1f"):
    return "     -" if v is None else spec % v


def compare(board, stat_rows, runs=3, span_s=30):
    mod = boot.load_board(board)
    refmon = build(board)
    print(
        "  stubmon vs the C reference monitor (tools/refmon), interval %d s, table printed,"
        " %d boots each, alternating; medians (own CPU: between poll 2 and the last, about %d s):"
        % (INTERVAL_S, runs, span_s)
    )
    for label, xen, opts, domains in KINDS.get(board, ()):
        where = "%s (xen %s)" % (label, xen)
        if xen not in mod.XEN_VERSIONS:
            print("    %-26s skipped: no Xen %s (../shared/xen)" % (where, xen))
            continue
        got = {"stubmon": [], "refmon": []}
        fails = []
        for _ in range(runs):
            for name, image in (("stubmon", None), ("refmon", refmon)):
                r = one(board, xen, opts, image, span_s, stat_rows)
                if isinstance(r, str):
                    fails.append("%s: %s" % (name, r[:300]))
                else:
                    got[name].append(r)
        med = {}
        for name in ("stubmon", "refmon"):
            fig = got[name]
            if not fig:
                print("    %-26s %-8s no run succeeded" % (where, name))
                continue
            m = med[name] = [median([f[i] for f in fig]) for i in range(3)]
            print(
                "    %-26s %-8s %d domain%s  own CPU %6.1f ms/min = %5.3f %% of a vCPU"
                "   entry->first row %s ms   hand-over->first row %s ms   (own CPU each boot: %s)"
                % (
                    where,
                    name,
                    domains,
                    "s" if domains > 1 else " ",
                    m[0],
                    m[0] / 600,
                    fmt(m[1]),
                    fmt(m[2]),
                    " ".join("%.1f" % f[0] for f in fig),
                )
            )
            idle = fig[-1][3]
            print(
                "    %-26s %-8s between polls, per interval (last boot): %s"
                % (where, name, " ".join("%s %.2f" % (k, idle[k]) for k in IDLE_KEYS if k in idle))
            )
        if len(med) == 2:
            ratio = [
                ("%.1fx" % (a / b)) if a and b else "-"
                for a, b in zip(med["stubmon"], med["refmon"])
            ]
            print(
                "    %-26s stubmon/refmon: own CPU %s, entry->first row %s,"
                " hand-over->first row %s" % (where, ratio[0], ratio[1], ratio[2])
            )
        for f in fails:
            print("    %-26s %s" % (where, f))


if __name__ == "__main__":
    compare(sys.argv[1] if len(sys.argv) > 1 else "x86_64")
