# SPDX-License-Identifier: MIT
"""stubmon as a domU started by `xl create` from the shipped config
(boards/x86_64/stubmon.cfg) in a Debian Linux dom0 of Xen 4.17 under QEMU
(tools/dom0/): without FLASK (Debian's Xen) it is a plain domU that says it
may not list domains and how to grant it; with FLASK enforcing and
policy/stubmon.te it lists every domain, agrees with `xl list`, and is
refused what the module does not grant (pausing another domain)."""

import os
import re
import sys

import pytest

import boot
from stubmon_exporter import consolelog

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(boot.REPO, "tools", "dom0"))
import xlboot  # noqa: E402

SCENARIOS = os.path.join(boot.REPO, "tools", "dom0", "scenarios")
BOARD = "x86_64"
TIMEOUT = 240  # one scenario; measured about 12 to 20 s


def payload(image):
    return {
        "/payload/lib.sh": os.path.join(SCENARIOS, "lib.sh"),
        xlboot.IMAGE_IN_DOM0: image,
        "/etc/xen/stubmon.cfg": os.path.join(boot.REPO, "boards", BOARD, "stubmon.cfg"),
    }


def run_scenario(image, name, flask):
    with open(os.path.join(SCENARIOS, name + ".sh")) as f:
        script = f.read()
    log = os.path.join(boot.REPO, "build", "xl-%s.log" % name)
    res = xlboot.scenario(script, payload(image), flask=flask, timeout=TIMEOUT, log=log)
    assert not res.timed_out, "\n".join(res.lines[-40:])
    return res


section = xlboot.section


xl_list = xlboot.xl_list


def xl_names(lines):
    return {r["name"]: i for i, r in xl_list(lines).items()}


@pytest.fixture(scope="module")
def unpriv(image):
    return run_scenario(image(BOARD), "unprivileged", flask=False)


@pytest.fixture(scope="module")
def flask(image):
    return run_scenario(image(BOARD), "flask", flask=True)


# --- without FLASK: a plain domU ------------------------------------------------
def test_unprivileged_scenario_completes(unpriv):
    assert unpriv.scenario_exit == 0, "\n".join(unpriv.lines[-40:])
    assert unpriv.seconds < 300


def test_unprivileged_no_xsm(unpriv):
    assert section(unpriv, "getenforce")[-1] == "Flask XSM Disabled"


def test_unprivileged_says_once_how_to_grant(unpriv):
    log = section(unpriv, "guest-log")
    assert "stubmon: console ring" in log
    diag = [l for l in log if "getdomaininfolist failed" in l]
    assert len(diag) == 1, log
    assert diag[0].startswith(
        "stubmon: getdomaininfolist failed: EPERM (this domain is not privileged to list domains"
    )
    for needed in (
        "flask=enforcing",
        "policy/stubmon.te",
        "seclabel='system_u:system_r:stubmon_t'",
    ):
        assert needed in diag[0]


def test_unprivileged_keeps_reporting_its_status(unpriv):
    log = section(unpriv, "guest-log")
    status = [l for l in log if "domains not listed (EPERM" in l]
    numbers = [int(l.split()[2][:-1]) for l in status]
    assert numbers[:4] == [1, 2, 3, 4], log
    heads = [
        l
        for l in log
        if re.match(r"^stubmon poll \d+: xen 4\.17\.\d+, uptime [\d.]+s, \? domains$", l)
    ]
    assert len(heads) >= 4
    assert not [l for l in log if l.strip().startswith("ID ")]  # no empty tables


def test_unprivileged_physinfo_refused_once(unpriv):
    """No XSM: physinfo is dom0's (EPERM); said once, never a host line."""
    for name in ("guest-log", "guest-log-pvh"):
        log = section(unpriv, name)
        diag = [l for l in log if "physinfo" in l]
        assert len(diag) == 1 and diag[0].startswith("stubmon: physinfo failed: EPERM ("), diag
        assert not [l for l in log if l.startswith("stubmon host:")]


def test_unprivileged_readable_with_xl_console(unpriv):
    out = section(unpriv, "xl-console")
    assert any("domains not listed" in l for l in out), out


def test_unprivileged_keeps_running_without_spinning(unpriv):
    rows = {r["name"]: r for r in xl_list(section(unpriv, "xl-list")).values()}
    me = rows["stubmon"]
    assert "c" not in me["State"] and "s" not in me["State"] and "d" not in me["State"], me
    # about 5 s of polls once a second: a spinning vCPU would show ~5 s
    assert float(me["Time"]) < 1.0, me
    log = section(unpriv, "guest-log")
    own = [int(l.split()[-2]) for l in log if "domains not listed" in l]
    assert own[-1] < 500, own


def test_unprivileged_pvh_same_config(unpriv):
    """type="pvh" on the command line of xl create: the same image as a PVH
    domU, its ring found through HVM params, port 0xE9 as well."""
    log = section(unpriv, "guest-log-pvh")
    assert log[0].startswith("stubmon: x86_64-pvh on xen 4.17.")
    assert "stubmon: console ring+e9" in log
    assert len([l for l in log if "getdomaininfolist failed: EPERM (this domain is not" in l]) == 1
    status = [l for l in log if "domains not listed (EPERM" in l]
    assert [int(l.split()[2][:-1]) for l in status][:3] == [1, 2, 3], log
    domid = xl_names(section(unpriv, "xl-list"))["stubmon-pvh"]
    e9 = [l for l in unpriv.lines if l.startswith("(d%d) " % domid)]
    assert any("stubmon poll 3: domains not listed (EPERM" in l for l in e9), e9[-5:]
    state = xl_list(section(unpriv, "xl-list"))[domid]["State"]
    assert "c" not in state and "s" not in state, state


def test_unprivileged_pvh_runs_in_2_mib(unpriv):
    """memory=2: the heap is what the domain's 2 MiB leave after the image
    (its first line, on port 0xE9), and the monitor runs on it."""
    domid = xl_names(section(unpriv, "xl-list"))["stubmon-pvh"]
    first = [
        l
        for l in unpriv.lines
        if l.startswith("(d%d) " % domid) and "boot: stubmon x86_64-pvh, heap " in l
    ]
    assert len(first) == 1, first
    m = re.search(r"heap (\d+) KiB of the domain's (\d+) KiB", first[0])
    heap, mem = int(m.group(1)), int(m.group(2))
    assert 1900 <= mem <= 2048 and 256 <= heap < mem - 1024, first  # the image sits at 1 MiB
    assert float(xl_list(section(unpriv, "xl-list"))[domid]["Mem"]) <= 2, section(
        unpriv, "xl-list"
    )


# --- FLASK enforcing with policy/stubmon.te ------------------------------------------
def test_flask_scenario_completes(flask):
    assert flask.scenario_exit == 0, "\n".join(flask.lines[-40:])
    assert flask.seconds < 300
    assert any("Flask:  Starting in enforcing mode" in l for l in flask.lines)


def test_flask_enforcing_and_labelled(flask):
    assert section(flask, "getenforce")[-1] == "Enforcing"
    rows = {r["name"]: r for r in xl_list(section(flask, "xl-list-Z")).values()}
    assert rows["stubmon"]["label"] == "system_u:system_r:stubmon_t"
    assert rows["work1"]["label"] == rows["work2"]["label"] == "system_u:system_r:domU_t"


def polls(flask):
    return consolelog.polls(section(flask, "guest-log"))


def test_flask_lists_every_domain(flask):
    ps = polls(flask)
    assert [p.number for p in ps[:3]] == [1, 2, 3]
    listed = xl_list(section(flask, "xl-list-after-poll-3"))
    assert sorted(r["name"] for r in listed.values()) == [
        "Domain-0",
        "plain",
        "stubmon",
        "work1",
        "work2",
    ]
    for p in ps[:3]:
        assert p.complete and p.count == 5 and sorted(p.ids()) == sorted(listed)


def test_flask_host_line_from_physinfo(flask):
    """policy/stubmon.te grants `xen physinfo`: every table of the labelled
    monitor has the host line (QEMU's -smp 2) and the domains line."""
    ps = polls(flask)
    for p in ps[:3]:
        assert p.host is not None and p.host["cpus"] == 2 and p.host["mhz"] > 0, p.host
        assert p.host["total_k"] == p.host["used_k"] + p.host["free_k"]
        assert p.summary["domains"] == 5 and p.summary["running"] + p.summary["blocked"] == 5
    assert not [l for l in section(flask, "guest-log") if "physinfo" in l]


def test_flask_unlabelled_physinfo_refused_once(flask):
    """domU_t has no `xen physinfo`: EACCES said once, asked once (one avc
    denial in Xen's log, not one per poll), no host line."""
    log = section(flask, "guest-log-plain")
    diag = [l for l in log if "physinfo" in l]
    assert len(diag) == 1 and diag[0].startswith("stubmon: physinfo failed: EACCES ("), diag
    assert not [l for l in log if l.startswith("stubmon host:")]
    avc = [l for l in flask.lines if "avc:  denied  { physinfo }" in l]
    assert len(avc) == 1 and "scontext=system_u:system_r:domU_t" in avc[0], avc


def test_flask_table_matches_xl_list(flask):
    """The poll seen last in the console log against `xl list` run right
    after it in the same dom0: ID, state letters, Mem and VCPUs. The
    domains that may be running at either moment may differ in r/b only:
    dom0 (running xl), stubmon (running its poll) and plain (another
    monitor, polling on its own clock)."""
    p3 = [p for p in polls(flask) if p.number == 3][0]
    listed = xl_list(section(flask, "xl-list-after-poll-3"))
    byname = {r["name"]: i for i, r in listed.items()}
    busy = {0, byname["stubmon"], byname["plain"]}
    for domid, want in listed.items():
        got = p3.row(domid)
        assert got is not None, (domid, want)
        assert got["Mem(MiB)"] == want["Mem"], (domid, got, want)
        assert got["VCPUs"] == want["VCPUs"], (domid, got, want)
        if domid in busy:
            assert got["State"][2:] == want["State"][2:], (domid, got, want)
        else:
            assert got["State"] == want["State"], (domid, got, want)
    # within one poll: stubmon's next table began after xl list had ended
    end = flask.lines.index("=== end xl-list-after-poll-3")
    poll4 = [i for i, l in enumerate(flask.lines) if re.match(r"^\(d\d+\) .*stubmon poll 4: ", l)]
    assert not poll4 or poll4[0] > end


def test_flask_output_reaches_xen_console(flask):
    """console=auto in a domU granted writeconsole: the ring and the Xen
    console both."""
    assert "stubmon: console xen+ring" in section(flask, "guest-log")
    domid = {r["name"]: i for i, r in xl_list(section(flask, "xl-list-Z")).items()}["stubmon"]
    # Xen prints a domU's console_io lines as "(dN) [ stamp ] text"
    text = [l for l in flask.lines if l.startswith("(d%d) " % domid)]
    assert any(l.endswith(" stubmon poll 3 end") for l in text), text[-10:]
    assert any(
        re.search(r" stubmon poll 3: xen 4\.17\.\d+, uptime [\d.]+s, 5 domains$", l) for l in text
    ), text[-10:]


def test_flask_unlabelled_monitor_is_refused(flask):
    """The same config labelled domU_t: no domain visible. Xen 4.17.5
    filters the list to nothing (the monitor says so); since XSA-499 Xen
    refuses it with EACCES. Either way: one diagnostic, then status lines."""
    log = section(flask, "guest-log-plain")
    diag = [l for l in log if l.startswith("stubmon: getdomaininfolist ")]
    assert len(diag) == 1, log
    assert diag[0].startswith(
        "stubmon: getdomaininfolist listed no domains, not even this one"
    ) or diag[0].startswith("stubmon: getdomaininfolist failed: EACCES"), diag
    assert len([l for l in log if "domains not listed (" in l]) >= 2
    assert not [l for l in log if re.search(r" \d+ domains$", l)]


def test_flask_denies_what_the_module_does_not_grant(flask):
    """pause=1:1:0 makes the monitor try to pause work1 after poll 1:
    refused with EACCES, reported by the monitor, logged by FLASK, and
    work1 still runs."""
    log = section(flask, "guest-log")
    denied = [l for l in log if l.startswith("stubmon: pausedomain failed: ")]
    assert len(denied) == 1 and "EACCES" in denied[0], log
    assert any(
        re.search(
            r"avc:  denied  \{ pause \} .*scontext=system_u:system_r:stubmon_t "
            r"tcontext=system_u:system_r:domU_t",
            l,
        )
        for l in flask.lines
    )
    listed = xl_list(section(flask, "xl-list-after-poll-3"))
    work1 = [r for r in listed.values() if r["name"] == "work1"][0]
    assert "p" not in work1["State"]
    assert not any("stubmon: paused 1" in l for l in log)


AVC = re.compile(r"avc:  denied  \{ ([^}]*) \} .*scontext=(\S+) tcontext=(\S+) tclass=(\S+)")


def test_flask_no_denial_but_the_intended_ones(flask):
    """policy/stubmon.te is enough for xl create, the run, xl pause and xl
    destroy: the only avc denials naming stubmon_t are the monitor's pause
    of work1 and the unlabelled monitor (plain, domU_t) being refused the
    list, which includes the labelled monitor; dom0 is never denied."""
    denials = set()
    for line in flask.lines:
        m = AVC.search(line)
        if m:
            perms, scon, tcon, cls = m.groups()
            denials.add((perms.strip(), scon.split(":")[2], tcon.split(":")[2], cls))
    assert ("pause", "stubmon_t", "domU_t", "domain") in denials
    ours = {d for d in denials if "stubmon_t" in d[1] or "stubmon_t" in d[2]}
    assert ours <= {
        ("pause", "stubmon_t", "domU_t", "domain"),
        ("getdomaininfo", "domU_t", "stubmon_t", "domain"),
    }, sorted(ours)
    assert not [d for d in denials if d[1].startswith("dom0_t")], sorted(denials)


def test_flask_xl_destroy(flask):
    """dom0 tears the labelled monitor down with xl destroy (destroy, the
    rings' grant unmaps: policy/stubmon.te)."""
    assert section(flask, "destroy") == []
    names = xl_names(section(flask, "xl-list-after-destroy"))
    assert "stubmon" not in names and {"Domain-0", "work1", "work2", "plain"} <= set(names), names
