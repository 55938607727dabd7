# SPDX-License-Identifier: MIT
"""The monitor as a control domain without dom0 (docs/control-domain.md):
Xen arm64 boots no dom0 at all, the monitor is a dom0less domU whose node
carries `capabilities = <0x1>` (DOMAIN_CAPS_CONTROL, Xen 4.21+), next to
dom0less guests (tools/boards/arm64.py mode "control"). One boot a cell:

- 4.21, 4.22: the table against the device tree, the monitor making itself
  VIRQ_DOM_EXC's handler (no dom0, no xenstore domain), a power-off and a
  crash each one event from an early wake (get_domain_state in use);
- 4.20: Xen ignores the property: a plain domU, refused (EPERM), said with
  the hint of that release (FLASK or dom0, no capabilities);
- 4.22 with a xenstore domain (capabilities = <0x4>): the handler is left
  to it; repl=1 finds no console input (Xen gives serial input to the
  hardware domain or an emulated PL011 only: Ctrl-A three times comes back
  to Xen); an unprivileged monitor beside it names capabilities = <0x1>;
- 4.21 under FLASK: with the stock policy Xen cannot build an unlabeled
  dom0less guest at all (panic); with boards/arm64/control_domain.te added
  the control domain (dom0_t) lists and follows them. The 4.21 policy
  sources come from ../shared/xen/flask-4.21.2/src (skipped without them).

QEMU does not end when a domU powers off: each boot stops at the
monitor's `stubmon: exit N` line (or at Xen's panic)."""

import os
import re
import shutil
import subprocess

import pytest

import boot
from stubmon_exporter import consolelog
import xenshared

BOARD = "arm64"
MOD = boot.load_board(BOARD)
CONTROL_MIB = MOD.CONTROL_MEM_MIB
# interval=2 and guests that end 1 and 3 s in: mid-way between polls, so an
# event from VIRQ_DOM_EXC is told from one the next poll would find
ARGS = "interval=2 count=3 stats=1 exit=qemu"
# domid: (MiB, vCPUs, guest command line); the monitor is d1
GUESTS = {
    2: (16, 1, "role=guest run=1 end=poweroff"),
    3: (24, 2, "role=guest run=3 end=crash"),
    4: (20, 1, "role=guest run=0.5 end=stay"),
}
ENDS = {2: "shutdown (poweroff)", 3: "crashed"}
FINAL_STATE = {2: "---s--", 3: "---sc-", 4: "-b----"}
HANDLER = (
    "stubmon: control domain: no dom0, no xenstore domain: made this domain (1) the "
    "handler of VIRQ_DOM_EXC (XEN_DOMCTL_set_virq_handler)"
)
STATE = (
    "stubmon: events: VIRQ_DOM_EXC wakes a read of the domains that changed "
    "(get_domain_state), not a listing of all"
)
EBUSY = (
    "stubmon: events: binding VIRQ_DOM_EXC failed: EBUSY (from xen 4.21 only the domain "
    "Xen sends domain changes to may bind it); domain changes are seen at the polls, no "
    "early wake"
)
CAPS_WAY = "boot it as a dom0less domain whose node has capabilities = <0x1>"
EXIT = MOD.CONTROL_EXIT  # the monitor's (d1's) "stubmon: exit N"
SWITCHED = "*** Serial input to "
# FLASK's initial SIDs (policy/initial_sids): what the SSID column shows
SID_DOM0, SID_UNLABELED = 3, 6


def stop(line):
    return bool(EXIT.match(line)) or "Manual reset required" in line


def monitor_exit(res):
    for line in reversed(res.lines):
        m = EXIT.match(line)
        if m:
            return int(m.group(1))
    return None


def domus():
    return [
        {"mem_mib": m, "vcpus": v, "args": a} for m, v, a in (GUESTS[i] for i in sorted(GUESTS))
    ]


def need(xen):
    if xen not in MOD.XEN_VERSIONS:
        pytest.skip("Xen %s arm64: %s" % (xen, xenshared.missing_reason(xen, MOD.ARCH)))


def mine(res):
    """The monitor's (d1's) lines, cut lines put back together."""
    return consolelog.guest_lines(res.lines, 1)


def said(lines, prefix):
    return [l for l in lines if l.startswith(prefix)]


# --- the control domain, 4.21 and 4.22 ----------------------------------------
@pytest.fixture(scope="module", params=["4.21", "4.22"])
def run(request, image):
    need(request.param)
    image(BOARD)
    res = boot.boot(
        BOARD, request.param, ARGS, timeout=60, mode="control", domus=domus(), until=stop
    )
    res.xen = request.param
    return res


def test_control_domain_runs_to_its_end(run):
    assert not run.timed_out, run.text[-3000:]
    assert monitor_exit(run) == 0, run.text[-3000:]
    assert not [l for l in run.lines if "Panic" in l or "avc:" in l]


def test_no_dom0_the_monitor_is_d1(run):
    lines = mine(run)
    assert said(lines, "stubmon: arm64 on xen %s." % run.xen), lines[:10]
    assert not [l for l in run.lines if re.match(r"^\(d0\) ", l)]
    assert not [l for l in run.lines if "Loading d0 " in l]


def test_it_makes_itself_the_handler_and_reads_changes(run):
    lines = mine(run)
    assert said(lines, "stubmon: control domain:") == [HANDLER], lines[:12]
    assert said(lines, "stubmon: events:") == [STATE]
    assert not [l for l in lines if "failed" in l or "refused" in l], lines


def test_every_table_lists_the_booted_domains(run):
    polls = consolelog.polls(mine(run))
    assert [p.number for p in polls] == [1, 2, 3]
    for p in polls:
        assert p.complete and p.xen.startswith(run.xen + ".")
        assert p.ids() == [1, 2, 3, 4], p.rows  # no dom0
        me = p.row(1)
        assert (me["Mem(MiB)"], me["MaxMem(MiB)"], me["VCPUs"]) == (CONTROL_MIB, CONTROL_MIB, 1)
        assert me["State"][0] == "r"
        for domid, (mib, vcpus, _) in GUESTS.items():
            r = p.row(domid)
            got = (r["Mem(MiB)"], r["MaxMem(MiB)"], r["VCPUs"])
            assert got == (mib, mib, vcpus), (p.number, r)
    for domid, state in FINAL_STATE.items():
        assert polls[-1].row(domid)["State"] == state, polls[-1].rows


def poll_starts_us(lines):
    return [
        int(dict(kv.split("=") for kv in l.split()[2:])["now_us"])
        for l in lines
        if l.startswith("stubmon: stats ")
    ]


def test_each_end_is_one_event_from_an_early_wake(run):
    """As test_arm64.py: the event's stamp is after Xen's stamp of the
    guest's bye line and before the first poll after it, and no poll's."""
    lines = mine(run)
    ev = consolelog.events(lines)
    g = consolelog.stamped_lines(run.lines)
    starts = poll_starts_us(lines)
    assert len(starts) == 3, starts
    for domid, state in ENDS.items():
        got = [e for e in ev if e[1] == domid and e[2].endswith("-> " + state)]
        assert len(got) == 1, (domid, ev)
        bye = [t for t in g if t[1] == domid and t[2].startswith("stubmon guest: bye")]
        assert len(bye) == 1 and bye[0][0] is not None, bye
        stamp = got[0][0]
        assert stamp - bye[0][0] >= -20000, (domid, got, bye)
        later = [t for t in starts if t > bye[0][0]]
        assert later, (domid, bye, starts)
        assert stamp < later[0], (domid, "found by the poll at %d us" % later[0], got, bye)
        assert stamp // 1000 not in set(t // 1000 for t in starts), (domid, got, starts)
        assert [e for e in ev if e[1] == domid][-1] == got[0]


# --- Xen 4.20: the property is ignored ---------------------------------------
@pytest.fixture(scope="module")
def run420(image):
    need("4.20")
    image(BOARD)
    return boot.boot(
        BOARD,
        "4.20",
        "interval=0.5 count=2 exit=qemu",
        timeout=60,
        mode="control",
        domus=[{"mem_mib": 16, "vcpus": 1, "args": "role=guest run=0.3 end=stay"}],
        until=stop,
    )


def test_on_4_20_the_capability_is_ignored_and_said(run420):
    assert monitor_exit(run420) == 0, run420.text[-3000:]
    lines = mine(run420)
    text = "".join(lines)  # Xen cuts a domU's long line in two
    assert (
        "stubmon: getdomaininfolist failed: EPERM (this domain is not privileged to list "
        "domains: boot Xen with FLASK" in text
    ), lines
    assert "or run it as dom0; see README)" in text
    assert "capabilities" not in text  # not a way on this release
    assert len([l for l in lines if consolelog.END.match(l)]) == 2  # both polls ended
    assert [l for l in lines if "domains not listed (EPERM, see above)" in l]
    assert not said(lines, "stubmon: control domain:")


# --- 4.22: a xenstore domain, console input, an unprivileged monitor --------
XS_ARGS = "repl=1 interval=0.5 count=4 exit=qemu"
XS_DOMUS = [
    {"mem_mib": 16, "vcpus": 1, "args": "role=guest run=0.3 end=stay", "caps": MOD.CAPS_XENSTORE},
    {"mem_mib": 16, "vcpus": 1, "args": "interval=0.5 count=1"},
]


@pytest.fixture(scope="module")
def run_xs(image):
    need("4.22")
    image(BOARD)
    typed = []

    def send(text, partial):
        # once the monitor has said what repl=1 found: Xen's switch key
        # (Ctrl-A) three times, which rotates serial input among Xen and
        # the domains that may take it
        if not typed and not partial and "stubmon: repl:" in text:
            typed.append(1)
            return b"\x01\x01\x01"
        return b""

    res = boot.boot(
        BOARD, "4.22", XS_ARGS, timeout=60, mode="control", domus=XS_DOMUS, until=stop, send=send
    )
    res.typed = bool(typed)
    return res


def test_the_xenstore_domain_keeps_the_handler(run_xs):
    assert monitor_exit(run_xs) == 0, run_xs.text[-3000:]
    lines = mine(run_xs)
    assert said(lines, "stubmon: control domain:") == [
        "stubmon: control domain: domain 2 is the xenstore domain, VIRQ_DOM_EXC's handler: "
        "left to it"
    ]
    assert said(lines, "stubmon: events:") == [EBUSY]
    polls = consolelog.polls(lines)
    assert len(polls) == 4 and all(p.ids() == [1, 2, 3] for p in polls), [p.rows for p in polls]


def test_no_console_input_reaches_a_control_domain(run_xs):
    lines = mine(run_xs)
    assert said(lines, "stubmon: repl:") == [
        "stubmon: repl: this domain has no console input; polling instead"
    ]
    assert run_xs.typed
    switched = [l for l in run_xs.lines if SWITCHED in l]
    # at boot, and after Ctrl-A x3: back to Xen, no domain took it
    assert len(switched) == 2 and all("Serial input to Xen" in l for l in switched), switched


def test_an_unprivileged_monitor_names_the_capability(run_xs):
    text = "".join(consolelog.guest_lines(run_xs.lines, 3))
    assert "stubmon: getdomaininfolist failed: EPERM (this domain is not privileged" in text, text
    assert CAPS_WAY + " (a control domain, docs/control-domain.md)" in text


# --- 4.21 under FLASK ---------------------------------------------------------
FLASK_SRC = os.path.join(xenshared.root(), "flask-4.21.2", "src")
POLICY_MODULE = os.path.join(boot.REPO, "boards", "arm64", "control_domain.te")


def build_policy(out, modules):
    """The stock FLASK policy of Xen 4.21.2's own sources, plus `modules`
    (the same make as tools/dom0/xlboot.py build_policy, which knows the
    releases with shared FLASK sources; 4.21's are not among them)."""
    need_file = os.path.join(FLASK_SRC, "tools", "flask", "policy", "Makefile.common")
    if not os.path.exists(need_file):
        pytest.skip(
            "Xen 4.21 arm64 FLASK: no %s (the policy sources of RELEASE-4.21.2, "
            "tools/flask/policy and xen/xsm/flask/policy, under ../shared/xen; a 4.20 "
            "policy does not load on 4.21: it lacks domain2 get_domain_state)" % need_file
        )
    tree = os.path.join(out, "src")
    shutil.copytree(FLASK_SRC, tree, copy_function=shutil.copyfile)
    for d, _, _ in os.walk(tree):
        os.chmod(d, 0o755)
    moddir = os.path.join(tree, "tools", "flask", "policy", "modules")
    with open(os.path.join(moddir, "modules.conf"), "a") as conf:
        for m in modules:
            shutil.copy(m, moddir)
            conf.write("%s = on\n" % os.path.basename(m)[:-3])
    build = os.path.join(out, "build")
    os.makedirs(build)
    policy = os.path.join(out, "xenpolicy")
    subprocess.run(
        [
            "make",
            "-s",
            "-f",
            "Makefile.common",
            "-C",
            os.path.dirname(moddir),
            "FLASK_BUILD_DIR=" + build,
            "POLICY_FILENAME=" + policy,
            "XEN_FULLVERSION=4.21.2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    return policy


FLASK_DOMUS = [
    {"mem_mib": 16, "vcpus": 1, "args": "role=guest run=1 end=poweroff"},
    {"mem_mib": 24, "vcpus": 2, "args": "role=guest run=0.5 end=stay"},
]


@pytest.fixture(scope="module")
def flask_runs(image, tmp_path_factory):
    need("4.21")
    stock = build_policy(str(tmp_path_factory.mktemp("stock")), [])
    ours = build_policy(str(tmp_path_factory.mktemp("ours")), [POLICY_MODULE])
    image(BOARD)
    out = {}
    for name, policy in (("stock", stock), ("ours", ours)):
        out[name] = boot.boot(
            BOARD,
            "4.21",
            ARGS,
            timeout=60,
            mode="control",
            domus=FLASK_DOMUS,
            policy=policy,
            until=stop,
        )
    return out


def test_flask_stock_policy_cannot_build_a_dom0less_guest(flask_runs):
    res = flask_runs["stock"]
    assert [l for l in res.lines if "Flask:  Starting in enforcing mode." in l]
    denied = [l for l in res.lines if "avc:  denied" in l]
    assert denied, res.text[-2000:]
    for want in (
        "{ create }",
        "scontext=system_u:system_r:xenboot_t",
        "tcontext=system_u:system_r:unlabeled_t",
    ):
        assert want in denied[0], denied
    panic = "Error creating domain domU2 (rc = -13)"
    assert [l for l in res.lines if panic in l], res.text[-2000:]
    assert monitor_exit(res) is None


def test_flask_with_the_module_the_control_domain_is_dom0_t(flask_runs):
    res = flask_runs["ours"]
    assert monitor_exit(res) == 0, res.text[-3000:]
    assert [l for l in res.lines if "Flask:  Starting in enforcing mode." in l]
    assert not [l for l in res.lines if "avc:" in l], [l for l in res.lines if "avc:" in l]
    lines = mine(res)
    assert said(lines, "stubmon: control domain:") == [HANDLER]
    assert said(lines, "stubmon: events:") == [STATE]
    polls = consolelog.polls(lines)
    assert len(polls) == 3
    for p in polls:
        assert p.ids() == [1, 2, 3]
        assert [p.row(i)["SSID"] for i in (1, 2, 3)] == [SID_DOM0, SID_UNLABELED, SID_UNLABELED]
    assert polls[-1].row(2)["State"] == "---s--"
    ev = consolelog.events(lines)
    assert [e[2] for e in ev if e[1] == 2][-1].endswith("-> shutdown (poweroff)"), ev
