#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot Xen + a Debian Linux dom0 under QEMU and run an xl scenario in it
(x86_64: Xen 4.17, bookworm, or --xen 4.20, trixie; --arch arm64: Xen 4.20,
trixie). tools/dom0/init.sh runs /payload/scenario.sh, then powers off. The
dom0 image is built once and cached (tools/dom0/mkinitramfs.py); the
scenario, the stubmon image and configs ride in a second cpio appended to it.

    tools/dom0/xlboot.py [--flask [--permissive]] [--arch arm64] [--xen 4.20]
                         [--timeout S] SCENARIO.sh [DOM0_PATH=HOST_FILE ...]

Without --flask: Debian's Xen (no XSM). With --flask, booted flask=enforcing
(--permissive: flask=permissive, every denial logged and let through) with
the FLASK policy of the hypervisor's own point release plus the
policy/*.te of that release and architecture (built here, about 0.05 s;
policy_module_files() picks them):
  x86_64 4.17  Xen built from Debian's source with FLASK (tools/dom0/xen-flask.sh),
               the policy sources of that source (4.17.5)
  x86_64 4.20  Xen 4.20.4 built with FLASK from Xen's RELEASE-4.20.4 tag and that
               tag's policy sources, both from ../shared/xen/flask-4.20.4/ (XEN_SHARED=
               moves ../shared/xen)
  arm64 4.20   Debian's hypervisor (FLASK built in, xsm=flask), the policy from
               the same ../shared/xen/flask-4.20.4/ sources
"""

import argparse
import gzip
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools"))
import boarddata  # noqa: E402
import boot  # noqa: E402  (run_qemu, Result)
import buildlock  # noqa: E402
import mkinitramfs  # noqa: E402
import xenshared  # noqa: E402  (../shared/xen, XEN_SHARED)

DEPS = mkinitramfs.DEPS
XEN = "4.17"
# The Xen release each architecture's dom0 runs (Debian's hypervisor and the
# toolstack of the same release): arm64 uses trixie's 4.20.
XEN_OF_ARCH = {"amd64": XEN, "arm64": "4.20"}
# The releases each architecture's dom0 can run (fetch.sh: bookworm 4.17,
# trixie 4.20).
XENS_OF_ARCH = {"amd64": ("4.17", "4.20"), "arm64": ("4.20",)}
# FLASK from ../shared/xen (Debian's 4.20 source answers 404 here): the
# directory with the hypervisor built with FLASK from Xen's tag and the
# policy sources of that tag (src/, laid out as in Xen's tree).
FLASK_SHARED = {"4.20": "flask-4.20.4"}
DOM0_MEM_MIB = 256
# Where the scenarios and the shipped config expect the image.
IMAGE_IN_DOM0 = "/usr/local/lib/stubmon/stubmon.elf"


# Lines Xen and the guests print to the serial port, between dom0's own.
XEN_LINE = re.compile(r"^\((XEN|d\d+)\) ")


def section(res, name):
    """dom0's output between '=== begin NAME' and '=== end NAME' (scenarios'
    lib.sh), without the lines Xen and guests print to the same serial
    port meanwhile."""
    out, inside = [], False
    for line in res.lines:
        if line == "=== begin " + name:
            inside = True
        elif line == "=== end " + name:
            return out
        elif inside and not XEN_LINE.match(line):
            out.append(line)
    raise AssertionError("no section %s in:\n%s" % (name, "\n".join(res.lines[-60:])))


def xl_list(lines):
    """`xl list` rows (the lines of its output) as {id: dict}."""
    rows = {}
    for line in lines[1:]:
        f = line.split()
        if len(f) >= 6 and f[1].isdigit():
            rows[int(f[1])] = {
                "name": f[0],
                "Mem": int(f[2]),
                "VCPUs": int(f[3]),
                "State": f[4],
                "Time": f[5],
                "label": f[6] if len(f) > 6 else None,
            }
    return rows


def deps(flask, arch="amd64", xen=None):
    """Fetch and build what is missing (cached under .deps/ and build/); one
    process at a time (pytest-xdist workers: tools/buildlock.py), as the
    initramfs is written in place."""
    xen = xen or XEN_OF_ARCH[arch]
    assert xen in XENS_OF_ARCH[arch], (arch, xen)
    with buildlock.locked("dom0"):
        subprocess.run(
            ["bash", os.path.join(HERE, "fetch.sh"), xen] + ([arch] if arch != "amd64" else []),
            check=True,
        )
        if flask:
            why = flask_missing(xen, arch)
            if why:
                raise FileNotFoundError(why)
            if xen == "4.17":
                subprocess.run(["bash", os.path.join(HERE, "xen-flask.sh"), xen], check=True)
        return mkinitramfs.ensure(xen, arch)


def flask_shared_dir(xen):
    """../shared/xen/flask-X.Y.Z for a release whose FLASK comes from there."""
    return os.path.join(xenshared.root(), FLASK_SHARED[xen])


def flask_missing(xen, arch="amd64"):
    """None if a FLASK boot of `xen` on `arch` has all it needs that this
    repository cannot fetch itself, else one line naming the missing path
    (the tests skip with it)."""
    if xen not in FLASK_SHARED:
        return None  # 4.17: built from Debian's source by xen-flask.sh
    d = flask_shared_dir(xen)
    need = [
        os.path.join(d, "src", "tools", "flask", "policy", "Makefile.common"),
        os.path.join(d, "src", "xen", "xsm", "flask", "policy", "access_vectors"),
    ]
    if arch == "amd64":
        need.append(flask_gz(xen))
    for p in need:
        if not os.path.exists(p):
            return (
                "no %s (Xen %s with FLASK and its policy sources come from ../shared/xen; "
                "XEN_SHARED= moves it)" % (p, xen)
            )
    return None


def flask_gz(xen):
    d = flask_shared_dir(xen)
    return os.path.join(d, "xen-%s-amd64-flask.gz" % FLASK_SHARED[xen].split("-", 1)[1])


def flask_hypervisor(xen, arch="amd64"):
    """The hypervisor a FLASK boot of `xen` runs: x86_64 4.17 built by
    xen-flask.sh; x86_64 4.20 the shared FLASK build, gunzipped once into
    build/xen/ (never into the source tree); arm64 Debian's (FLASK built in)."""
    if arch == "arm64":
        return os.path.join(DEPS, "xen-%s-arm64" % xen)
    if xen not in FLASK_SHARED:
        return os.path.join(DEPS, "xen-flask-" + xen, "xen")
    gz = flask_gz(xen)
    cache = os.path.join(REPO, "build", "xen")
    out = os.path.join(cache, os.path.basename(gz)[:-3])
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(gz):
        os.makedirs(cache, exist_ok=True)
        tmp = "%s.%d.tmp" % (out, os.getpid())
        with gzip.open(gz, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(tmp, out)
    return out


def policy_sources(xen=XEN):
    """The FLASK policy sources of the hypervisor's own point release: a
    tree holding tools/flask/policy and xen/xsm/flask/policy."""
    if xen in FLASK_SHARED:
        return os.path.join(flask_shared_dir(xen), "src")
    return os.path.join(DEPS, "xen-flask-" + xen, "policy-src")


# Our modules (policy/): stubmon.te on every release and architecture,
# stubmon_<board>.te on that architecture only, stubmon_xen<MAJOR><MINOR>.te
# from that release on (docs/policy.md says what each adds).
BOARD_OF_ARCH = {"amd64": "x86_64", "arm64": "arm64"}
MODULE_NAME = re.compile(r"^stubmon_(?:xen(\d)(\d+)|(\w+))\.te$")


def policy_module_files(xen=XEN, arch="amd64"):
    """The policy/*.te files for release `xen` on `arch` (Debian's name,
    amd64 or arm64): stubmon.te, stubmon_<board>.te of this board,
    stubmon_xenXY.te of this release and earlier ones; any other .te there
    (one of your own) too."""
    pol = os.path.join(REPO, "policy")
    out = []
    for f in sorted(os.listdir(pol)):
        if not f.endswith(".te"):
            continue
        m = MODULE_NAME.match(f)
        if m and m.group(1):
            if (int(m.group(1)), int(m.group(2))) > _release_key(xen):
                continue
        elif m and m.group(3) in BOARD_OF_ARCH.values():
            if m.group(3) != BOARD_OF_ARCH[arch]:
                continue
        out.append(os.path.join(pol, f))
    return out


def _release_key(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:2])


def build_policy(out_dir, modules=None, xen=XEN, arch="amd64"):
    """The FLASK policy of release `xen`'s own sources plus our modules
    (default: policy_module_files(xen, arch)). Returns the policy file."""
    src = policy_sources(xen)
    tree = os.path.join(out_dir, "policy-src")
    # copyfile: the shared sources are read-only, the copy must not be
    shutil.copytree(src, tree, copy_function=shutil.copyfile)
    for d, _, _ in os.walk(tree):
        os.chmod(d, 0o755)
    moddir = os.path.join(tree, "tools", "flask", "policy", "modules")
    if modules is None:
        modules = policy_module_files(xen, arch)
    with open(os.path.join(moddir, "modules.conf"), "a") as conf:
        for m in modules:
            shutil.copy(m, moddir)
            conf.write("%s = on\n" % os.path.basename(m)[:-3])
    out = os.path.join(out_dir, "xenpolicy")
    subprocess.run(
        [
            "make",
            "-s",
            "-f",
            "Makefile.common",
            "-C",
            os.path.dirname(moddir),
            "FLASK_BUILD_DIR=" + out_dir,
            "POLICY_FILENAME=" + out,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


def flask_arg(flask):
    """Xen's flask= for a scenario's `flask` (True or "enforcing", "permissive")."""
    return "flask=" + ("permissive" if flask == "permissive" else "enforcing")


def qemu_command(xen, kernel, initrd, policy=None, flask=False, dom0_mem_mib=DOM0_MEM_MIB):
    xen_args = (
        "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot "
        "console_timestamps=boot dom0_max_vcpus=1 dom0_mem=%dM,max:%dM"
        % (dom0_mem_mib, dom0_mem_mib)
    )
    if flask:
        xen_args += " " + flask_arg(flask)
    mods = ["%s console=hvc0 rdinit=/init loglevel=3" % kernel, initrd]
    if policy:
        mods.append(policy)  # Xen finds the policy module by its magic
    for m in mods:
        assert "," not in m, m
    # +rdrand: without it every xl create stalls ~3 s; -cpu max crashes a
    # PV dom0 (SMAP); svm+npt: PVH guests need nested paging
    return (
        ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-cpu", "qemu64,+svm,+npt,+rdrand"]
        + boarddata.headless(2, 512)
        + ["-kernel", xen, "-initrd", ",".join(mods), "-append", xen_args]
    )


def ended(line):
    """The scenario is over: dom0 said so, or Xen or Linux panicked (with
    noreboot QEMU would wait for the timeout)."""
    return (
        line.startswith("dom0: scenario exit ")
        or "Manual reset required" in line
        or "Kernel panic - not syncing" in line
    )


def arm64_board():
    # tools/boards/arm64.py, by path: `boot` is tools/boot.py here
    spec = importlib.util.spec_from_file_location(
        "arm64_board", os.path.join(REPO, "tools", "boards", "arm64.py")
    )
    arm64_boot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(arm64_boot)
    return arm64_boot


ARM64_DOM0_ARGS = "console=hvc0 rdinit=/init loglevel=3"


def arm64_qemu_command(
    kernel, initrd, dom0_mem_mib=DOM0_MEM_MIB, policy=None, flask=False, xen=None
):
    """arm64: Debian's hypervisor, the Linux dom0 as /chosen modules
    (tools/boards/arm64.py). With a policy: a third module, compatible
    "xen,xsm-policy" (QEMU's guest-loader cannot pass one), and Xen booted
    xsm=flask (Debian's arm64 build has FLASK and SILO, SILO the default)."""
    b = arm64_board()
    hv = os.path.join(DEPS, "xen-%s-arm64" % (xen or XEN_OF_ARCH["arm64"]))
    if not policy:
        return b.linux_dom0_command(hv, kernel, initrd, ARM64_DOM0_ARGS, dom0_mem_mib)
    mem = b.QEMU_MEM_LINUX_MIB
    ksize, isize, psize = (os.path.getsize(p) for p in (kernel, initrd, policy))
    kbase = b.LINUX_KERNEL_BASE
    ibase = (kbase + ksize + 0x1FFFFF) & ~0x1FFFFF
    pbase = (ibase + isize + 0x1FFFFF) & ~0x1FFFFF
    xen_args = b.xen_args(dom0_mem_mib) + " xsm=flask " + flask_arg(flask)
    chosen = [
        ('    xen,xen-bootargs = "%s";' % xen_args)
        if l.startswith("    xen,xen-bootargs = ")
        else l
        for l in b._chosen_dom0(dom0_mem_mib, kbase, ksize, ARM64_DOM0_ARGS)
    ]
    assert any("xsm=flask" in l for l in chosen), chosen
    extra = "\n".join(
        chosen
        + [
            "    dom0-ramdisk {",
            '      compatible = "multiboot,ramdisk", "multiboot,module";',
            "      reg = <0x0 0x%x 0x0 0x%x>;" % (ibase, isize),
            "    };",
            "    xsm-policy {",
            '      compatible = "xen,xsm-policy", "multiboot,module";',
            "      reg = <0x0 0x%x 0x0 0x%x>;" % (pbase, psize),
            "    };",
            "  };",
            "};",
            "",
        ]
    )
    dtb = b._dtb(extra, mem)
    return b._qemu_base(mem) + [
        "-kernel",
        hv,
        "-dtb",
        dtb,
        "-append",
        xen_args,
        "-device",
        "loader,file=%s,addr=0x%x,force-raw=on" % (kernel, kbase),
        "-device",
        "loader,file=%s,addr=0x%x,force-raw=on" % (initrd, ibase),
        "-device",
        "loader,file=%s,addr=0x%x,force-raw=on" % (policy, pbase),
    ]


def scenario(
    script,
    files,
    flask=False,
    timeout=240,
    echo=None,
    log=None,
    policy_modules=None,
    dom0_mem_mib=DOM0_MEM_MIB,
    arch="amd64",
    xen=None,
):
    """Boot, run `script` (shell text) in dom0 with `files` ({dom0 path:
    bytes, str or host path}) in place, return a boot.Result. Stops at
    the dom0 line "dom0: scenario exit N" (res.scenario_exit).

    xen: the release (dom0's toolstack and the hypervisor), default
    XEN_OF_ARCH[arch]. flask: False, True (enforcing) or "permissive".
    policy_modules: the .te files added to the release's policy (default
    policy_module_files(xen, arch))."""
    xen = xen or XEN_OF_ARCH[arch]
    base = deps(flask, arch, xen)
    tmp = tempfile.mkdtemp(prefix="stubmon-xl-")
    try:
        files = dict(files)
        files["/payload/scenario.sh"] = script.encode()
        pay = os.path.join(tmp, "payload.cpio")
        mkinitramfs.payload(files, pay)
        initrd = os.path.join(tmp, "dom0.cpio")
        with open(initrd, "wb") as out:
            for p in (os.path.join(base, "dom0.cpio.gz"), pay):
                with open(p, "rb") as f:
                    shutil.copyfileobj(f, out)
        policy = build_policy(tmp, policy_modules, xen, arch) if flask else None
        if arch == "arm64":
            cmd = arm64_qemu_command(
                mkinitramfs.kernel(base, arch), initrd, dom0_mem_mib, policy, flask, xen
            )
        else:
            hv = flask_hypervisor(xen, arch) if flask else os.path.join(DEPS, "xen-%s-amd64" % xen)
            cmd = qemu_command(
                hv, os.path.join(base, "vmlinux"), initrd, policy, flask, dom0_mem_mib
            )
        res = boot.run_qemu(cmd, timeout, echo=echo, log=log, until=ended)
        res.scenario_exit = None
        for line in reversed(res.lines):
            if line.startswith("dom0: scenario exit "):
                res.scenario_exit = int(line.split()[-1])
                break
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--flask", action="store_true")
    ap.add_argument("--permissive", action="store_true", help="with --flask: flask=permissive")
    ap.add_argument("--arch", default="amd64", choices=sorted(XEN_OF_ARCH))
    ap.add_argument("--xen", help="the release: 4.17 (x86_64 default) or 4.20")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--log")
    ap.add_argument("script")
    ap.add_argument("files", nargs="*", help="DOM0_PATH=HOST_FILE")
    o = ap.parse_args()
    files = {}
    for f in o.files:
        k, _, v = f.partition("=")
        files[k] = v
    with open(o.script) as f:
        script = f.read()
    flask = ("permissive" if o.permissive else True) if o.flask else False
    res = scenario(
        script,
        files,
        flask=flask,
        timeout=o.timeout,
        echo=lambda l: print(l, flush=True),
        log=o.log,
        arch=o.arch,
        xen=o.xen,
    )
    if res.timed_out:
        print("xlboot: stopped after %d s (timeout)" % o.timeout, file=sys.stderr)
        return 124
    print("xlboot: %.1f s, scenario exit %s" % (res.seconds, res.scenario_exit), file=sys.stderr)
    return 0 if res.scenario_exit == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
