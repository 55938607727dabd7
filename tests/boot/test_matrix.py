# SPDX-License-Identifier: MIT
"""The release matrix: {4.17, 4.20, 4.21, 4.22} x {x86_64 PV dom0, x86_64
PVH dom0, arm64 dom0 next to dom0less domUs}, one real boot per cell
shared by every check of that cell. 4.17 and 4.20 are Debian's; 4.21 and
4.22 come from ../shared/xen (XEN_SHARED=): a cell whose hypervisor is
missing is skipped with the reason, never passed. Each cell checks the
table against what was booted (memory, vCPUs, states), demo= (the monitor
is dom0 in every cell) and the release's own behaviour: the interfaces
and layouts it uses, how domain events reach it (docs/releases.md)."""

import os
import re

import pytest

import boot
from stubmon_exporter import consolelog
import xenshared

RELEASES = ("4.17", "4.20", "4.21", "4.22")
SETUPS = ("x86_64-pv", "x86_64-pvh", "arm64")
CELLS = [(x, s) for x in RELEASES for s in SETUPS]
DEMO_MEM = 16
X86_ARGS = "interval=0.5 count=4 demo=3 demo_keep=2 exit=qemu"
ARM_ARGS = "interval=1 count=4 demo=2 demo_keep=2 exit=qemu"
# arm64 domUs: domid: (MiB, vCPUs, guest command line); d1 powers off
# between polls 1 and 3 (an event), d2 stays up
DOMUS = {1: (16, 1, "role=guest run=1.5 end=poweroff"), 2: (24, 2, "role=guest run=0.5 end=stay")}
FINAL = {1: "---s--", 2: "-b----"}
STATE_PATH = (
    "stubmon: events: VIRQ_DOM_EXC wakes a read of the domains that changed "
    "(get_domain_state), not a listing of all"
)
LIST_PATH = "stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain (xen %s has no get_domain_state)"


def board_of(setup):
    return setup.split("-")[0]


def include_dir(xen):
    deb = os.path.join(boot.DEPS, "pkg", "libxen-dev-" + xen, "usr", "include")
    return deb if os.path.isdir(deb) else xenshared.include_dir(xen)


def header_versions(xen):
    return xenshared.header_versions(include_dir(xen))


@pytest.fixture(scope="module", params=CELLS, ids=["%s-%s" % c for c in CELLS])
def cell(request, image):
    xen, setup = request.param
    board = board_of(setup)
    mod = boot.load_board(board)
    if xen not in mod.XEN_VERSIONS:
        pytest.skip(
            "Xen %s %s: %s"
            % (
                xen,
                board,
                xenshared.missing_reason(xen, mod.ARCH)
                or "not in tools/boards/%s.py XEN_VERSIONS" % board,
            )
        )
    image(board)
    if board == "arm64":
        domus = [
            {"mem_mib": m, "vcpus": v, "args": a} for m, v, a in (DOMUS[i] for i in sorted(DOMUS))
        ]
        res = boot.boot(board, xen, ARM_ARGS, timeout=120, domus=domus)
    else:
        res = boot.boot(board, xen, X86_ARGS, timeout=120, mode=setup.split("-")[1])
    res.xen, res.setup, res.board = xen, setup, board
    res.dom0_mem = mod.DOM0_MEM_MIB
    return res


def demo_ids(run):
    n = 2 if run.board == "arm64" else 3
    first = len(DOMUS) + 1 if run.board == "arm64" else 1
    return list(range(first, first + n))


def test_ends_with_success(cell):
    assert not cell.timed_out, cell.text[-3000:]
    assert cell.guest_exit == 0, cell.text[-3000:]


def test_names_platform_and_release(cell):
    first = next(l for l in cell.lines if l.startswith("stubmon"))
    platform = "arm64" if cell.board == "arm64" else cell.setup
    assert re.match(r"^stubmon: %s on xen %s\.\d+" % (platform, re.escape(cell.xen)), first), first


def test_interfaces_and_layouts_are_the_release_own(cell):
    want = header_versions(cell.xen)
    arch = "aarch64" if cell.board == "arm64" else "x86_64"
    line = "stubmon: layouts xen %s (%s), interfaces sysctl 0x%02x domctl 0x%02x" % (
        cell.xen,
        arch,
        want["sysctl"],
        want["domctl"],
    )
    assert line in cell.lines, [l for l in cell.lines if "layouts" in l or "interfaces" in l]
    assert not [l for l in cell.lines if "assuming the layouts" in l]


def test_says_how_domain_events_arrive(cell):
    said = [l for l in cell.lines if l.startswith("stubmon: events:")]
    want = STATE_PATH if cell.xen >= "4.21" else LIST_PATH % cell.xen
    assert said == [want], said
    assert not [l for l in cell.lines if "get_domain_state failed" in l or "EBUSY" in l]


def test_table_matches_what_was_booted(cell):
    polls = consolelog.polls(cell.lines)
    assert [p.number for p in polls] == [1, 2, 3, 4]
    domus = sorted(DOMUS) if cell.board == "arm64" else []
    shown = (
        cell.dom0_mem - 1 if cell.setup == "x86_64-pvh" else cell.dom0_mem
    )  # PVH: shared_info page
    for p in polls:
        assert p.complete and p.xen.startswith(cell.xen + ".")
        dom0 = p.row(0)
        assert (dom0["Mem(MiB)"], dom0["MaxMem(MiB)"], dom0["VCPUs"]) == (shown, cell.dom0_mem, 1)
        assert dom0["State"][0] == "r"
        for domid in domus:
            mib, vcpus, _ = DOMUS[domid]
            r = p.row(domid)
            assert (r["Mem(MiB)"], r["MaxMem(MiB)"], r["VCPUs"]) == (mib, mib, vcpus), (
                p.number,
                r,
            )
    for domid in domus:
        assert polls[-1].row(domid)["State"] == FINAL[domid], polls[-1].rows
    if domus:  # arm64: domU 1's power-off reached the monitor as one event
        ev = consolelog.events(cell.lines)
        off = [e for e in ev if e[1] == 1 and e[2].endswith("-> shutdown (poweroff)")]
        assert len(off) == 1, ev


def test_demo_domains_listed_paused_then_gone_as_events(cell):
    ids = demo_ids(cell)
    assert (
        "stubmon: demo created %d of %d domains, ids %d..%d, paused, max memory %d MiB each"
        % (len(ids), len(ids), ids[0], ids[-1], DEMO_MEM)
        in cell.lines
    ), cell.text[-3000:]
    polls = consolelog.polls(cell.lines)
    base = [0] + (sorted(DOMUS) if cell.board == "arm64" else [])
    for p in polls[:2]:
        assert p.ids() == base + ids
        for domid in ids:
            r = p.row(domid)
            assert (r["State"], r["Mem(MiB)"], r["MaxMem(MiB)"]) == ("--p---", 0, DEMO_MEM), r
    for p in polls[2:]:
        assert p.ids() == base
    # each one gone exactly once, between the destroy and the next poll
    ev = consolelog.events(cell.lines)
    gone = [e for e in ev if e[2] == "gone (was paused)"]
    assert sorted(e[1] for e in gone) == ids, ev
    said = cell.lines.index("stubmon: demo destroyed %d domains" % len(ids))
    third = cell.lines.index(next(l for l in cell.lines if l.startswith("stubmon poll 3:")))
    at = [i for i, l in enumerate(cell.lines) if l.startswith("stubmon event ") and "gone" in l]
    assert all(said < i < third for i in at), (said, at, third)
