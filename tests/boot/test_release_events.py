# SPDX-License-Identifier: MIT
"""VIRQ_DOM_EXC outside its handler, for real: on arm64 the monitor runs as
dom0 and, unprivileged, as a dom0less domU. From Xen 4.21 the domU's bind
fails with EBUSY and it says once that domain changes come with the polls;
before 4.21 Xen accepts the bind (and never sends it the event). dom0, the
handler, says which path its early wakes take. Missing releases (4.21 and
4.22 from ../shared/xen) are skipped with the reason."""

import pytest

import boot
from stubmon_exporter import consolelog
import xenshared

BOARD = "arm64"
RELEASES = ("4.20", "4.21", "4.22")
DOM0_ARGS = "interval=1 count=3 exit=qemu"
DOMU = {"mem_mib": 16, "vcpus": 1, "args": "interval=0.5 count=2"}
EBUSY = (
    "stubmon: events: binding VIRQ_DOM_EXC failed: EBUSY (from xen 4.21 only the domain Xen "
    "sends domain changes to may bind it); domain changes are seen at the polls, no early wake"
)
LISTING = "stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain (xen %s has no get_domain_state)"
STATE = (
    "stubmon: events: VIRQ_DOM_EXC wakes a read of the domains that changed "
    "(get_domain_state), not a listing of all"
)


@pytest.fixture(scope="module", params=RELEASES)
def run(request, image):
    xen = request.param
    mod = boot.load_board(BOARD)
    if xen not in mod.XEN_VERSIONS:
        pytest.skip("Xen %s arm64: %s" % (xen, xenshared.missing_reason(xen, mod.ARCH)))
    image(BOARD)
    res = boot.boot(BOARD, xen, DOM0_ARGS, timeout=60, domus=[DOMU])
    res.xen = xen
    return res


def said(lines, prefix):
    return [l for l in lines if l.startswith(prefix)]


def test_both_monitors_run_to_the_end(run):
    assert run.guest_exit == 0, run.text[-3000:]
    domu = consolelog.guest_lines(run.lines, 1)
    assert len(said(domu, "stubmon poll ")) >= 4, domu  # polls 1 and 2, each with its end line


def test_domu_says_once_how_events_reach_it(run):
    domu = said(consolelog.guest_lines(run.lines, 1), "stubmon: events:")
    want = EBUSY if run.xen >= "4.21" else LISTING % run.xen
    assert domu == [want], domu


def test_dom0_the_handler_says_its_path(run):
    dom0 = said(run.lines, "stubmon: events:")
    assert dom0 == [STATE if run.xen >= "4.21" else LISTING % run.xen], dom0
