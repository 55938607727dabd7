# SPDX-License-Identifier: MIT
"""arm64: stubmon as a domU started by `xl create` from the shipped config
(boards/arm64/stubmon.cfg) in a Debian trixie arm64 Linux dom0 on Debian's
Xen 4.20 arm64 under QEMU (tools/dom0/, xlboot --arch arm64), next to another
guest (the same Image, role=guest). Without FLASK it is a plain domU: it
says once that it may not list domains, then prints its status every poll
to its PV console ring (xenconsoled's log, `xl console`); `xl destroy`
removes it and leaves the other guest. One boot for all checks."""

import os
import re
import sys

import pytest

import boot

sys.path.insert(0, os.path.join(boot.REPO, "tools", "dom0"))
import xlboot  # noqa: E402

SCENARIOS = os.path.join(boot.REPO, "tools", "dom0", "scenarios")
BOARD = "arm64"
IMAGE_IN_DOM0 = "/usr/local/lib/stubmon/stubmon.bin"  # boards/arm64/stubmon.cfg kernel=
TIMEOUT = 240  # measured about 15 s on an idle 2-core host

section = xlboot.section
xl_list = xlboot.xl_list


@pytest.fixture(scope="module")
def run(image):
    files = {
        "/payload/lib.sh": os.path.join(SCENARIOS, "lib.sh"),
        IMAGE_IN_DOM0: image(BOARD),
        "/etc/xen/stubmon.cfg": os.path.join(boot.REPO, "boards", BOARD, "stubmon.cfg"),
    }
    with open(os.path.join(SCENARIOS, "unprivileged_arm64.sh")) as f:
        script = f.read()
    log = os.path.join(boot.REPO, "build", "xl-unprivileged_arm64.log")
    res = xlboot.scenario(script, files, timeout=TIMEOUT, log=log, arch="arm64")
    assert not res.timed_out, "\n".join(res.lines[-40:])
    return res


def rows(res, name):
    return {r["name"]: r for r in xl_list(section(res, name)).values()}


def test_scenario_completes(run):
    assert run.scenario_exit == 0, "\n".join(run.lines[-40:])
    assert run.seconds < 180


def test_no_xsm(run):
    """Debian's arm64 Xen has FLASK built in, but booted without flask= it
    runs no XSM: stubmon is a plain domU."""
    assert section(run, "getenforce")[-1] == "Flask XSM Disabled"


def test_xl_list_shows_stubmon_next_to_the_guest(run):
    r = rows(run, "xl-list")
    assert set(r) == {"Domain-0", "guest", "stubmon"}, r
    me = r["stubmon"]
    assert me["Mem"] == 16 and me["VCPUs"] == 1, me  # the shipped config's memory= and vcpus=
    for st in (me, r["guest"]):
        assert not set(st["State"]) & set("csd"), st
    # about 5 s of polls once a second: a spinning vCPU would show ~5 s
    assert float(me["Time"]) < 1.0, me


def test_says_once_how_to_grant(run):
    log = section(run, "guest-log")
    assert re.match(r"^stubmon: arm64 on xen 4\.20\.\d+", log[0]), log[:3]
    assert "stubmon: console ring" in log  # found through HVM params, not the Xen console
    diag = [l for l in log if "getdomaininfolist failed" in l]
    assert len(diag) == 1, log
    assert diag[0].startswith(
        "stubmon: getdomaininfolist failed: EPERM (this domain is not privileged to list domains"
    )
    assert "(boards/arm64/stubmon.cfg)" in diag[0]  # this architecture's config
    phys = [l for l in log if "physinfo" in l]
    assert len(phys) == 1 and phys[0].startswith("stubmon: physinfo failed: EPERM ("), phys
    assert not [l for l in log if l.startswith("stubmon host:")]


def test_status_line_every_poll(run):
    log = section(run, "guest-log")
    status = [l for l in log if "domains not listed (EPERM" in l]
    numbers = [int(l.split()[2][:-1]) for l in status]
    assert numbers[:4] == [1, 2, 3, 4], log
    heads = [
        l
        for l in log
        if re.match(r"^stubmon poll \d+: xen 4\.20\.\d+\S*, uptime [\d.]+s, \? domains$", l)
    ]
    assert len(heads) == len(status) >= 4
    uptimes = [float(re.search(r"uptime ([\d.]+)s", l).group(1)) for l in heads]
    steps = [b - a for a, b in zip(uptimes, uptimes[1:])]
    assert all(0.9 <= s <= 1.6 for s in steps), uptimes  # interval=1
    own = [int(l.split()[-2]) for l in status]
    assert own == sorted(own) and own[-1] < 500, own
    assert not [l for l in log if l.strip().startswith("ID ")]  # no empty tables


def test_readable_with_xl_console(run):
    out = section(run, "xl-console")
    assert any(re.match(r"^stubmon poll \d+: domains not listed", l) for l in out), out


def test_other_guest_runs(run):
    log = section(run, "guest-log-guest")
    assert "stubmon: console ring" in log
    assert [l for l in log if l.startswith("stubmon guest: hello at ")], log
    assert [l for l in log if l.startswith("stubmon guest: staying up at ")], log


def test_xl_destroy(run):
    assert section(run, "destroy") == []  # xl destroy prints nothing when it works
    r = rows(run, "xl-list-after")
    assert set(r) == {"Domain-0", "guest"}, r
