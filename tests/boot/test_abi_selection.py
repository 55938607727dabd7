# SPDX-License-Identifier: MIT
"""One image, every Xen release: the layouts generated from the headers
(tools/xenabi) are picked at run time. The same build of each board boots
Xen 4.17 and 4.20 and must say which release's layouts it chose and which
interface versions it confirmed, matching that release's headers."""

import hashlib
import os
import re

import pytest

import boot
from stubmon_exporter import consolelog

BOARDS = {"x86_64": "x86_64", "arm64": "aarch64"}  # board -> layouts arch
RELEASES = ("4.17", "4.20")
LAYOUT_RE = re.compile(
    r"^stubmon: layouts xen (\d+\.\d+) \((\w+)\), "
    r"interfaces sysctl 0x([0-9a-f]+) domctl 0x([0-9a-f]+)$"
)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module", params=sorted(BOARDS))
def runs(request, image):
    board = request.param
    path = image(board)
    before = digest(path)
    out = {}
    for xen in RELEASES:
        out[xen] = boot.boot(board, xen, "interval=0.5 count=2 exit=qemu", timeout=120)
    assert digest(path) == before, "the image changed between boots"
    return board, out


def test_same_image_runs_on_every_release(runs):
    board, out = runs
    for xen, res in out.items():
        assert not res.timed_out, (xen, res.text[-2000:])
        assert res.guest_exit == 0, (xen, res.text[-2000:])
        polls = consolelog.polls(res.lines)
        assert [p.number for p in polls] == [1, 2], xen
        assert polls[0].row(0) is not None


def test_reports_the_layouts_and_interfaces_it_chose(runs, headers):
    board, out = runs
    for xen, res in out.items():
        want = headers(xen)
        found = [LAYOUT_RE.match(l) for l in res.lines]
        found = [m for m in found if m]
        assert len(found) == 1, (xen, [l for l in res.lines if l.startswith("stubmon")])
        m = found[0]
        assert m.group(1) == xen  # the release it runs on
        assert m.group(2) == BOARDS[board]
        assert int(m.group(3), 16) == want["sysctl"]  # confirmed by probing
        assert int(m.group(4), 16) == want["domctl"]
        # a generated release: nothing assumed, no mismatch reported
        assert not [
            l for l in res.lines if "assuming the layouts" in l or "layouts may not match" in l
        ]
        # the older interfaces line is still there and agrees
        inter = [l for l in res.lines if l.startswith("stubmon: interfaces ")]
        assert inter == [
            "stubmon: interfaces sysctl 0x%02x domctl 0x%02x" % (want["sysctl"], want["domctl"])
        ]


def generated_releases(gen_dir, arch):
    """The releases the generated index of an arch holds (its RELEASES line)."""
    with open(os.path.join(gen_dir, "xenabi_%s.py" % arch)) as f:
        line = next(l for l in f if l.startswith("RELEASES = "))
    return ["%s.%s" % r for r in re.findall(r"\((\d+), (\d+)\)", line)]


def test_image_freezes_layouts_of_every_generated_release(runs):
    """One generated module an arch (every release's layouts are bytes in
    it), frozen into the image."""
    board, _ = runs
    arch = BOARDS[board]
    gen_dir = os.path.join(boot.REPO, "build", "xenabi", arch)
    mods = sorted(f[:-3] for f in os.listdir(gen_dir) if f.endswith(".py"))
    assert mods == ["xenabi_" + arch]
    frozen = os.path.join(os.path.dirname(boot.image_path(board)), "frozen_content.c")
    text = open(frozen).read()
    assert '"xenabi_%s.py"' % arch in text or "xenabi_%s.py" % arch in text
    for r in RELEASES:
        assert r in generated_releases(gen_dir, arch)


def test_newer_release_than_generated_still_lists_domains(monkeypatch, image_of_417_layouts):
    """An image whose layouts were generated from 4.17's headers only, on
    Xen 4.20: it must assume 4.17's layouts, say so, confirm 4.20's
    interface versions by probing, and list domains (getdomaininfo did not
    change). Built with the port's own make, in a build dir of its own."""
    top = os.path.dirname(os.path.dirname(image_of_417_layouts))
    assert sorted(os.listdir(os.path.join(top, "gen", "x86_64"))) == ["xenabi_x86_64.py"]
    assert generated_releases(os.path.join(top, "gen", "x86_64"), "x86_64") == ["4.17"]
    monkeypatch.setattr(
        boot, "image_path", lambda board, **kw: os.path.join(top, "x86_64", "stubmon.elf")
    )
    res = boot.boot("x86_64", "4.20", "interval=0.5 count=2 exit=qemu", timeout=120)
    assert res.guest_exit == 0, res.text[-2000:]
    assert (
        "stubmon: xen 4.20: no layouts generated for it; assuming the layouts of xen 4.17 "
        "(its getdomaininfo layout is the one of 4.17)"
    ) in res.lines
    assert "stubmon: layouts xen 4.17 (x86_64), interfaces sysctl 0x15 domctl 0x17" in res.lines
    polls = consolelog.polls(res.lines)
    assert [p.number for p in polls] == [1, 2]
    assert polls[0].ids() == [0] and polls[0].row(0)["VCPUs"] == 1
