#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench`, the xl part (x86_64, Xen 4.17 + Debian Linux dom0 under QEMU):

- `xl create` of the shipped config to the monitor's first table (FLASK,
  labelled stubmon_t, two workload guests), from dom0's clock, 5 runs
- the monitor domain's footprint: the smallest `memory=` it lists domains in
- next to it, the dom0 Linux doing the same job with `xl list`: the smallest
  dom0_mem it boots and runs `xl list` in, and what it uses at 256 MiB
Prints, asserts nothing.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import xlboot  # noqa: E402

REPO = xlboot.REPO
SCEN = os.path.join(HERE, "scenarios")
IMAGE = os.path.join(
    REPO, "build", "x86_64-test", "stubmon.elf"
)  # boot.image_path: the test image


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


def files():
    return {
        "/payload/lib.sh": os.path.join(SCEN, "lib.sh"),
        xlboot.IMAGE_IN_DOM0: IMAGE,
        "/etc/xen/stubmon.cfg": os.path.join(REPO, "boards", "x86_64", "stubmon.cfg"),
    }


def bench_run():
    with open(os.path.join(SCEN, "bench.sh")) as f:
        res = xlboot.scenario(f.read(), files(), flask=True, timeout=300)
    lines = [l for l in res.lines if l.startswith("bench: ")]
    create = [
        tuple(map(int, m.groups()))
        for m in (re.match(r"^bench: create_ms=(\d+) first_table_ms=(\d+)$", l) for l in lines)
        if m
    ]
    mem = [l for l in lines if re.match(r"^bench: pvh? memory=", l)]
    info = {}
    for l in lines:
        m = re.match(r"^bench: dom0 meminfo (\w+): (\d+) kB$", l)
        if m:
            info[m.group(1)] = int(m.group(2))
    return res, create, mem, info


def dom0_floor(lo=112, hi=256, step=16):
    """Smallest dom0_mem (MiB, in steps) with which dom0 boots and runs xl list."""
    script = 'xl list >/dev/null && echo "bench: xl list ok"\n'
    failed = None
    for m in range(lo, hi + 1, step):
        res = xlboot.scenario(script, {}, flask=False, timeout=60, dom0_mem_mib=m)
        if res.scenario_exit == 0 and "bench: xl list ok" in res.lines:
            return m, failed
        failed = m
    return None, failed


def main():
    print(
        "xl create (x86_64, Xen 4.17 with FLASK from Debian's source, Debian Linux dom0, "
        "QEMU TCG -smp 2)"
    )
    res, create, mem, info = bench_run()
    if res.scenario_exit != 0 or not create:
        print(
            "  bench scenario failed (exit %s); last lines:\n    %s"
            % (res.scenario_exit, "\n    ".join(res.lines[-15:]))
        )
        return 1
    print(
        "  xl create returns after %d ms, first table %d ms after xl create started "
        "(median of %d; all: %s)"
        % (
            median([c[0] for c in create]),
            median([c[1] for c in create]),
            len(create),
            " ".join("%d" % c[1] for c in create),
        )
    )
    for kind in ("pv", "pvh"):
        ok = [l for l in mem if l.startswith("bench: %s memory=" % kind) and " ok " in l]
        bad = [
            re.match(r"^bench: \w+ memory=(\d+)", l).group(1)
            for l in mem
            if l.startswith("bench: %s memory=" % kind) and " fails" in l
        ]
        if ok:
            m = re.match(r"^bench: \w+ memory=(\d+) ok \S+\s+\d+\s+(\d+)", ok[0])
            print(
                "  stubmon %s domU: smallest memory=%s MiB it %s in (xl list Mem %s MiB);"
                " memory=%s fail"
                % (
                    kind.upper(),
                    m.group(1),
                    "lists domains" if kind == "pv" else "polls (as domU_t)",
                    m.group(2),
                    ",".join(bad) or "-",
                )
            )
        else:
            print(
                "  stubmon %s domU: no memory= tried worked: %s"
                % (kind.upper(), "; ".join(l for l in mem if l.startswith("bench: %s " % kind)))
            )
    for l in mem:
        if " fails" in l:
            print("    " + l[len("bench: ") :][:200])
    used = info.get("MemTotal", 0) - info.get("MemAvailable", 0)
    floor, below = dom0_floor()
    print(
        "  dom0 Linux doing the same job (xl list): smallest dom0_mem %s MiB in steps of 16"
        " (%s MiB fails); at dom0_mem=256 M its kernel sees %d MiB and uses %d MiB of it"
        % (floor, below, info.get("MemTotal", 0) // 1024, used // 1024)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
