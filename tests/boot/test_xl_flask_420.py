# SPDX-License-Identifier: MIT
"""FLASK on Xen 4.20, x86_64 and arm64: stubmon started by `xl create` from
the shipped config (boards/<board>/stubmon.cfg) in a Debian trixie Linux
dom0 (xen-utils-4.20), Xen booted flask=enforcing with the policy of
4.20.4's own sources (../shared/xen/flask-4.20.4/src) plus policy/stubmon.te
and the modules of that architecture and release (stubmon_x86_64.te or
stubmon_arm64.te, stubmon_xen420.te; xlboot.policy_module_files).

  x86_64: Xen 4.20.4 built with FLASK from Xen's RELEASE-4.20.4 tag
          (../shared/xen/flask-4.20.4/xen-4.20.4-amd64-flask.gz)
  arm64:  Debian's Xen 4.20 arm64 (FLASK built in), xsm=flask

One boot each (tools/dom0/scenarios/flask_420.sh): the labelled monitor lists
every domain and agrees with `xl list`; the same config left domU_t is refused
(EACCES: 4.20.4 carries XSA-499) and says how to grant it; then, with
`xl loadpolicy`, the policy without the XSA-499 rule (getdomaininfo on
domxen_t): a labelled monitor is refused with EACCES, the permission named;
and the policy without stubmon_xen420.te: `xl create` fails on
set_llc_colors. Without ../shared/xen/flask-4.20.4 the cells are skipped
with the missing path."""

import os
import re
import sys

import pytest

import boot
from stubmon_exporter import consolelog

sys.path.insert(0, os.path.join(boot.REPO, "tools", "dom0"))
import xlboot  # noqa: E402

SCENARIO = os.path.join(boot.REPO, "tools", "dom0", "scenarios", "flask_420.sh")
XEN = "4.20"
ARCH = {"x86_64": "amd64", "arm64": "arm64"}
IMAGE_IN_DOM0 = {
    "x86_64": xlboot.IMAGE_IN_DOM0,  # boards/x86_64/stubmon.cfg kernel=
    "arm64": "/usr/local/lib/stubmon/stubmon.bin",
}  # boards/arm64/stubmon.cfg kernel=
# The domains the scenario makes: work1 (x86_64: work2 too), plain, stubmon
DOMAINS = {
    "x86_64": ["Domain-0", "plain", "stubmon", "work1", "work2"],
    "arm64": ["Domain-0", "plain", "stubmon", "work1"],
}
TIMEOUT = 240  # measured about 24 s (x86_64) and 21 s (arm64)
XSA499_RULE = "allow stubmon_t domxen_t:domain getdomaininfo;"
LLC_MODULE = "stubmon_xen420.te"

section = xlboot.section
xl_list = xlboot.xl_list
AVC = re.compile(r"avc:  denied  \{ ([^}]*) \} .*scontext=(\S+) tcontext=(\S+) tclass=(\S+)")


@pytest.fixture(scope="module", params=["x86_64", "arm64"])
def run(request, image, tmp_path_factory):
    board = request.param
    arch = ARCH[board]
    why = xlboot.flask_missing(XEN, arch)
    if why:
        pytest.skip(why)
    modules = xlboot.policy_module_files(XEN, arch)
    names = [os.path.basename(m) for m in modules]
    # the policy without the XSA-499 rule: stubmon.te without that line
    tmp = tmp_path_factory.mktemp("policy-" + board)
    with open(modules[names.index("stubmon.te")]) as f:
        te = f.read()
    assert XSA499_RULE in te
    noxsa = tmp / "noxsa"
    noxsa.mkdir()
    (noxsa / "stubmon.te").write_text(te.replace(XSA499_RULE, ""))
    no_xsa499 = xlboot.build_policy(
        str(noxsa / "build"),
        [str(noxsa / "stubmon.te")] + [m for m in modules if not m.endswith("/stubmon.te")],
        XEN,
        arch,
    )
    # the policy without the module of 4.20 (set_llc_colors)
    assert LLC_MODULE in names
    no_llc = xlboot.build_policy(
        str(tmp / "nollc"), [m for m in modules if not m.endswith("/" + LLC_MODULE)], XEN, arch
    )
    files = {
        "/payload/lib.sh": os.path.join(os.path.dirname(SCENARIO), "lib.sh"),
        IMAGE_IN_DOM0[board]: image(board),
        "/etc/xen/stubmon.cfg": os.path.join(boot.REPO, "boards", board, "stubmon.cfg"),
        "/payload/xenpolicy-no-xsa499": no_xsa499,
        "/payload/xenpolicy-no-llc": no_llc,
    }
    with open(SCENARIO) as f:
        script = f.read()
    log = os.path.join(boot.REPO, "build", "xl-flask_420-%s.log" % board)
    res = xlboot.scenario(script, files, flask=True, timeout=TIMEOUT, log=log, arch=arch, xen=XEN)
    assert not res.timed_out, "\n".join(res.lines[-40:])
    res.board, res.modules = board, names
    return res


def names_of(res, sec):
    return {r["name"]: i for i, r in xl_list(section(res, sec)).items()}


def polls(res):
    return consolelog.polls(section(res, "guest-log"))


def denials(res, start=0, end=None):
    """{(perms, source type, target type, class)} of Xen's avc lines."""
    out = set()
    for line in res.lines[start:end]:
        m = AVC.search(line)
        if m:
            perms, scon, tcon, cls = m.groups()
            out.add((perms.strip(), scon.split(":")[2], tcon.split(":")[2], cls))
    return out


def at(res, line):
    return res.lines.index(line)


def test_scenario_completes(run):
    assert run.scenario_exit == 0, "\n".join(run.lines[-40:])
    assert run.seconds < 120, run.seconds
    assert any("Flask:  Starting in enforcing mode" in l for l in run.lines)
    assert section(run, "getenforce")[-1] == "Enforcing"


def test_policy_is_the_release_with_this_architectures_modules(run):
    other = {"x86_64": "stubmon_arm64.te", "arm64": "stubmon_x86_64.te"}[run.board]
    assert run.modules == sorted(["stubmon.te", "stubmon_%s.te" % run.board, LLC_MODULE]), (
        run.modules
    )
    assert other not in run.modules


def test_xen_and_toolstack_are_4_20(run):
    log = section(run, "guest-log")
    arch = {"x86_64": "x86_64-pv", "arm64": "arm64"}[run.board]
    assert re.match(r"^stubmon: %s on xen 4\.20\.\d" % arch, log[0]), log[:2]
    assert "stubmon: interfaces sysctl 0x15 domctl 0x17" in log


def test_labelled(run):
    rows = {r["name"]: r for r in xl_list(section(run, "xl-list-Z")).values()}
    assert rows["stubmon"]["label"] == "system_u:system_r:stubmon_t"
    assert rows["plain"]["label"] == rows["work1"]["label"] == "system_u:system_r:domU_t"
    assert rows["Domain-0"]["label"] == "system_u:system_r:dom0_t"


def test_labelled_monitor_lists_every_domain(run):
    ps = polls(run)
    assert [p.number for p in ps[:3]] == [1, 2, 3]
    listed = xl_list(section(run, "xl-list-after-poll-3"))
    assert sorted(r["name"] for r in listed.values()) == DOMAINS[run.board]
    for p in ps[:3]:
        assert (
            p.complete and p.count == len(DOMAINS[run.board]) and sorted(p.ids()) == sorted(listed)
        )
        assert p.host is not None and p.host["cpus"] == 2, p.host  # physinfo granted; QEMU -smp 2


def test_labelled_table_matches_xl_list(run):
    """Poll 3 against `xl list` run right after it: ID, Mem, VCPUs, state
    letters (dom0, stubmon and plain may be running at either moment: r/b
    only may differ for them)."""
    p3 = [p for p in polls(run) if p.number == 3][0]
    listed = xl_list(section(run, "xl-list-after-poll-3"))
    byname = {r["name"]: i for i, r in listed.items()}
    busy = {0, byname["stubmon"], byname["plain"]}
    for domid, want in listed.items():
        got = p3.row(domid)
        assert got is not None, (domid, want)
        assert got["Mem(MiB)"] == want["Mem"] and got["VCPUs"] == want["VCPUs"], (domid, got, want)
        if domid in busy:
            assert got["State"][2:] == want["State"][2:], (domid, got, want)
        else:
            assert got["State"] == want["State"], (domid, got, want)
    end = run.lines.index("=== end xl-list-after-poll-3")
    poll4 = [i for i, l in enumerate(run.lines) if re.match(r"^\(d\d+\) .*stubmon poll 4: ", l)]
    assert not poll4 or poll4[0] > end


def test_labelled_monitor_is_refused_what_the_module_does_not_grant(run):
    log = section(run, "guest-log")
    denied = [l for l in log if l.startswith("stubmon: pausedomain failed: ")]
    assert len(denied) == 1 and "EACCES" in denied[0], log
    assert ("pause", "stubmon_t", "domU_t", "domain") in denials(run)
    work1 = [
        r for r in xl_list(section(run, "xl-list-after-poll-3")).values() if r["name"] == "work1"
    ][0]
    assert "p" not in work1["State"]


def test_unlabelled_monitor_is_refused_and_says_how_to_grant(run):
    """domU_t: 4.20.4 (XSA-499) refuses getdomaininfolist with EACCES, on
    domxen_t first; the monitor says so once, with the permission, then
    prints its status every poll and no table."""
    log = section(run, "guest-log-plain")
    diag = [l for l in log if l.startswith("stubmon: getdomaininfolist ")]
    assert len(diag) == 1, log
    assert diag[0].startswith("stubmon: getdomaininfolist failed: EACCES ("), diag
    assert "getdomaininfo on domains and domxen_t" in diag[0], diag
    probe = [l for l in log if l.startswith("stubmon: every sysctl interface version")]
    assert len(probe) == 1 and "XSA-499" in probe[0] and "domxen_t" in probe[0], probe
    status = [l for l in log if "domains not listed (EACCES" in l]
    assert [int(l.split()[2][:-1]) for l in status][:3] == [1, 2, 3], log
    assert not [l for l in log if re.search(r" \d+ domains$", l)]
    assert ("getdomaininfo", "domU_t", "domxen_t", "domain") in denials(run)


def test_without_the_xsa499_rule_the_labelled_monitor_is_refused(run):
    """The same modules without `getdomaininfo` on domxen_t, loaded with xl
    loadpolicy: a monitor labelled stubmon_t is refused the list with
    EACCES, says which permission, and Xen logs that denial."""
    assert section(run, "loadpolicy")[-1] == "Successfully loaded policy."
    assert section(run, "getenforce-after")[-1] == "Enforcing"
    rows = {r["name"]: r for r in xl_list(section(run, "xl-list-Z-noxsa")).values()}
    assert rows["noxsa"]["label"] == "system_u:system_r:stubmon_t"
    log = section(run, "guest-log-noxsa")
    diag = [l for l in log if l.startswith("stubmon: getdomaininfolist ")]
    assert len(diag) == 1 and diag[0].startswith("stubmon: getdomaininfolist failed: EACCES ("), (
        log
    )
    assert "domxen_t" in diag[0]
    assert [int(l.split()[2][:-1]) for l in log if "domains not listed (EACCES" in l][:2] == [
        1,
        2,
    ], log
    assert not [l for l in log if re.search(r" \d+ domains$", l)]
    after = denials(run, at(run, "=== begin loadpolicy"))
    assert ("getdomaininfo", "stubmon_t", "domxen_t", "domain") in after, sorted(after)
    # before the reload the labelled monitor was never refused that
    assert ("getdomaininfo", "stubmon_t", "domxen_t", "domain") not in denials(
        run, 0, at(run, "=== begin loadpolicy")
    )


def test_without_the_4_20_module_xl_create_fails_on_llc_colors(run):
    """policy/stubmon_xen420.te is what 4.20 needs beyond 4.17: without it
    dom0 may not set the new domain's LLC colours and xl create fails."""
    assert section(run, "loadpolicy-no-llc")[-1] == "Successfully loaded policy."
    out = section(run, "create-nollc")
    assert out[-1] != "xl create: exit 0", out
    assert any("LLC colors allocation failed: Permission denied" in l for l in out), out
    after = denials(run, at(run, "=== begin loadpolicy-no-llc"))
    assert ("set_llc_colors", "dom0_t", "stubmon_t", "domain2") in after, sorted(after)


def test_dom0_is_never_denied_with_the_full_policy(run):
    """With the policy as built (until the first xl loadpolicy): xl create,
    the run, xl pause of the monitors; the only denials naming stubmon_t
    are its own pause of work1 (and, on 4.20, none for dom0)."""
    before = denials(run, 0, at(run, "=== begin loadpolicy"))
    assert not [d for d in before if d[1] == "dom0_t"], sorted(before)
    ours = {d for d in before if "stubmon_t" in (d[1], d[2])}
    assert ours == {("pause", "stubmon_t", "domU_t", "domain")}, sorted(ours)


def test_xl_destroy(run):
    assert section(run, "destroy") == []
    names = names_of(run, "xl-list-after-destroy")
    assert "stubmon" not in names and {"Domain-0", "work1", "plain", "noxsa"} <= set(names), names
