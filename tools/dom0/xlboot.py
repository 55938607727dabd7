#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot Xen + a Debian Linux dom0 under QEMU and run an xl scenario in it
(x86_64: Xen 4.17, bookworm; --arch arm64: Xen 4.20, trixie). tools/dom0/init.sh
runs /payload/scenario.sh, then powers off. The dom0
image is built once and cached (tools/dom0/mkinitramfs.py); the scenario,
the stubmon image and configs ride in a second cpio appended to it.

    tools/dom0/xlboot.py [--flask] [--arch arm64] [--timeout S] SCENARIO.sh [DOM0_PATH=HOST_FILE ...]

Without --flask: Debian's Xen (no XSM). With --flask: Xen built from Debian's
source with FLASK (tools/dom0/xen-flask.sh), booted flask=enforcing with the
policy of that source plus policy/*.te (built here, about 0.05 s).
"""
import argparse
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
import boot            # noqa: E402  (run_qemu, Result)
import buildlock       # noqa: E402
import mkinitramfs     # noqa: E402

DEPS = mkinitramfs.DEPS
XEN = "4.17"
# The Xen release each architecture's dom0 runs (Debian's hypervisor and the
# toolstack of the same release): arm64 uses trixie's 4.20.
XEN_OF_ARCH = {"amd64": XEN, "arm64": "4.20"}
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
            rows[int(f[1])] = {"name": f[0], "Mem": int(f[2]), "VCPUs": int(f[3]),
                               "State": f[4], "Time": f[5], "label": f[6] if len(f) > 6 else None}
    return rows


def deps(flask, arch="amd64"):
    """Fetch and build what is missing (cached under .deps/ and build/); one
    process at a time (pytest-xdist workers: tools/buildlock.py), as the
    initramfs is written in place."""
    xen = XEN_OF_ARCH[arch]
    with buildlock.locked("dom0"):
        subprocess.run(["bash", os.path.join(HERE, "fetch.sh"), xen] + ([arch] if arch != "amd64" else []),
                       check=True)
        if flask:
            assert arch == "amd64", "FLASK scenarios: x86_64 only"
            subprocess.run(["bash", os.path.join(HERE, "xen-flask.sh"), XEN], check=True)
        return mkinitramfs.ensure(xen, arch)


def build_policy(out_dir, modules=None):
    """The FLASK policy of the hypervisor's own source release plus our
    modules (default: every policy/*.te). Returns the policy file."""
    src = os.path.join(DEPS, "xen-flask-" + XEN, "policy-src")
    tree = os.path.join(out_dir, "policy-src")
    shutil.copytree(src, tree)
    moddir = os.path.join(tree, "tools", "flask", "policy", "modules")
    if modules is None:
        pol = os.path.join(REPO, "policy")
        modules = [os.path.join(pol, f) for f in sorted(os.listdir(pol)) if f.endswith(".te")]
    with open(os.path.join(moddir, "modules.conf"), "a") as conf:
        for m in modules:
            shutil.copy(m, moddir)
            conf.write("%s = on\n" % os.path.basename(m)[:-3])
    out = os.path.join(out_dir, "xenpolicy")
    subprocess.run(["make", "-s", "-f", "Makefile.common", "-C", os.path.dirname(moddir),
                    "FLASK_BUILD_DIR=" + out_dir, "POLICY_FILENAME=" + out],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def qemu_command(xen, kernel, initrd, policy=None, flask=False, dom0_mem_mib=DOM0_MEM_MIB):
    xen_args = ("console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot "
                "console_timestamps=boot dom0_max_vcpus=1 dom0_mem=%dM,max:%dM"
                % (dom0_mem_mib, dom0_mem_mib))
    if flask:
        xen_args += " flask=enforcing"
    mods = ["%s console=hvc0 rdinit=/init loglevel=3" % kernel, initrd]
    if policy:
        mods.append(policy)   # Xen finds the policy module by its magic
    for m in mods:
        assert "," not in m, m
    # +rdrand: without it every xl create stalls ~3 s; -cpu max crashes a
    # PV dom0 (SMAP); svm+npt: PVH guests need nested paging
    return ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-cpu", "qemu64,+svm,+npt,+rdrand",
            "-smp", "2", "-m", "512", "-display", "none", "-monitor", "none",
            "-serial", "stdio", "-no-reboot",
            "-kernel", xen, "-initrd", ",".join(mods), "-append", xen_args]


def ended(line):
    """The scenario is over: dom0 said so, or Xen or Linux panicked (with
    noreboot QEMU would wait for the timeout)."""
    return (line.startswith("dom0: scenario exit ") or "Manual reset required" in line
            or "Kernel panic - not syncing" in line)


def arm64_qemu_command(kernel, initrd, dom0_mem_mib=DOM0_MEM_MIB):
    # boards/arm64/boot.py, by path: `boot` is tools/boot.py here
    spec = importlib.util.spec_from_file_location("arm64_board", os.path.join(REPO, "boards", "arm64", "boot.py"))
    arm64_boot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(arm64_boot)
    return arm64_boot.linux_dom0_command(os.path.join(DEPS, "xen-%s-arm64" % XEN_OF_ARCH["arm64"]),
                                         kernel, initrd, "console=hvc0 rdinit=/init loglevel=3",
                                         dom0_mem_mib)


def scenario(script, files, flask=False, timeout=240, echo=None, log=None, policy_modules=None,
             dom0_mem_mib=DOM0_MEM_MIB, arch="amd64"):
    """Boot, run `script` (shell text) in dom0 with `files` ({dom0 path:
    bytes, str or host path}) in place, return a boot.Result. Stops at
    the dom0 line "dom0: scenario exit N" (res.scenario_exit)."""
    base = deps(flask, arch)
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
        if arch == "arm64":
            cmd = arm64_qemu_command(mkinitramfs.kernel(base, arch), initrd, dom0_mem_mib)
        elif flask:
            xen = os.path.join(DEPS, "xen-flask-" + XEN, "xen")
            policy = build_policy(tmp, policy_modules)
        else:
            xen = os.path.join(DEPS, "xen-%s-amd64" % XEN)
            policy = None
        if arch != "arm64":
            cmd = qemu_command(xen, os.path.join(base, "vmlinux"), initrd, policy, flask, dom0_mem_mib)
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flask", action="store_true")
    ap.add_argument("--arch", default="amd64", choices=sorted(XEN_OF_ARCH))
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
    res = scenario(script, files, flask=o.flask, timeout=o.timeout,
                   echo=lambda l: print(l, flush=True), log=o.log, arch=o.arch)
    if res.timed_out:
        print("xlboot: stopped after %d s (timeout)" % o.timeout, file=sys.stderr)
        return 124
    print("xlboot: %.1f s, scenario exit %s" % (res.seconds, res.scenario_exit), file=sys.stderr)
    return 0 if res.scenario_exit == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
