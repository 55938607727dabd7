# SPDX-License-Identifier: MIT
"""How Xen boots the arm64 Image under QEMU (virt, GICv3, TCG): stubmon as
dom0 and, for dom0less scenarios, more copies of the same Image as domUs
(usually `role=guest`). Everything is described in a device tree made from
QEMU's own (`-machine dumpdtb`) with /chosen module and `xen,domain` nodes
added by dtc; the Images are loaded with `-device loader`."""

import hashlib
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
import boarddata  # noqa: E402
import xenshared  # noqa: E402

ARCH = "aarch64"
BOARD = boarddata.read("arm64")  # boards/arm64/mpconfigboard.mk
# Debian's (tools/deps.sh), then those found in ../shared/xen (4.21, 4.22)
DEBIAN_XEN = tuple(BOARD["XEN_DEBIAN"].split())
XEN_VERSIONS = DEBIAN_XEN + xenshared.available(ARCH)
EXIT_ARGS = "exit=qemu"
DOM0_MEM_MIB = int(BOARD["DOM0_MEM_MIB"])
IMAGE = BOARD["IMAGE"]
# No isa-debug-exit on arm: with exit=qemu the monitor prints
# "stubmon: exit N" and powers off through PSCI (QEMU then ends with 0).
EXIT_FROM_CONSOLE = True

QEMU_MEM_MIB = int(BOARD["QEMU_MEM_MIB"])
SMP = int(BOARD["QEMU_SMP"])
MACHINE = BOARD["QEMU_MACHINE"]
CPU = BOARD["QEMU_CPU"]
MODULE_BASE = 0x49000000  # dom0's Image; each domU's 4 MiB further on
MODULE_STRIDE = 0x400000

# The dom0less domUs `make run BOARD=arm64` boots next to the monitor (and
# any run that does not say otherwise): the same Image as `role=guest`,
# ending in each way a guest can. IDs follow the order: d1, d2, ...
DEFAULT_DOMUS = (
    {"mem_mib": 16, "vcpus": 1, "args": "role=guest run=2 end=poweroff"},
    {"mem_mib": 24, "vcpus": 2, "args": "role=guest run=3 end=crash"},
    {"mem_mib": 20, "vcpus": 1, "args": "role=guest run=0.5 end=stay"},
    {"mem_mib": 18, "vcpus": 1, "args": "role=guest run=3.5 end=reboot"},
)

# Boot modes (tools/boot.py --mode, make run MODE=, side by side in make bench):
# dom0 next to DEFAULT_DOMUS, or dom0 alone.
MODES = tuple(BOARD["BOOT_MODES"].split())
# And one qemu_command takes that is not (yet) in MODES: no dom0 at all, the
# monitor as a dom0less domU carrying `capabilities = <0x1>` (a control
# domain, Xen 4.21+; older releases ignore the property), next to
# DEFAULT_DOMUS (docs/control-domain.md). QEMU does not end when a domU
# powers off, so a run stops at the monitor's exit line, CONTROL_EXIT
# (tools/boot.py and make bench stop at dom0's power-off only).
OTHER_MODES = ("control",)
CONTROL_EXIT = re.compile(r"^\(d1\) (?:\[\s*[\d.]+\] )?stubmon: exit (\d+)$")

# Domain capabilities, the dom0less `capabilities` property (Xen 4.21+,
# public/bootfdt.h DOMAIN_CAPS_*; docs/control-domain.md).
CAPS_CONTROL = 0x1
CAPS_HARDWARE = 0x2
CAPS_XENSTORE = 0x4
# The monitor's own domU in mode "control" (no dom0): d1, 1 vCPU, this much
# memory (its heap is the domain's memory, at most 8 MiB: docs/memory.md).
CONTROL_MEM_MIB = 32

CACHE = os.path.join(REPO, "build", "arm64", "dtb")


def xen_args(dom0_mem_mib=DOM0_MEM_MIB, extra=""):
    return " ".join(
        (
            "console=dtuart loglvl=all guest_loglvl=all bootscrub=0 noreboot",
            "console_timestamps=boot dom0_max_vcpus=1",
            "dom0_mem=%dM" % dom0_mem_mib,
        )
        + ((extra,) if extra else ())
    )


def _qemu_base(qemu_mem_mib):
    return ["qemu-system-aarch64", "-machine", MACHINE, "-cpu", CPU] + boarddata.headless(
        SMP, qemu_mem_mib
    )


# Xen on arm panics ("module chosen command line too long") on a module's
# bootargs longer than BOOTMOD_MAX_CMDLINE (1024) while it reads the device
# tree, before its console is up: nothing is printed, the boot just stops.
# It keeps 1023 characters of a line it accepts; x86 Xen cuts any line
# there without a word. Cut here the same way, and say so.
XEN_BOOTMOD_MAX_CMDLINE = 1024
XEN_KEEPS = XEN_BOOTMOD_MAX_CMDLINE - 1


def bootargs(args, who):
    """`args` as Xen can take them for module `who`: cut to XEN_KEEPS
    characters, with one line on stderr, if longer than Xen accepts."""
    if len(args) <= XEN_BOOTMOD_MAX_CMDLINE:
        return args
    sys.stderr.write(
        "boot: arm64: the %s command line is %d characters; Xen panics, before its console "
        "is up, on more than %d (BOOTMOD_MAX_CMDLINE): passing its first %d, what Xen keeps\n"
        % (who, len(args), XEN_BOOTMOD_MAX_CMDLINE, XEN_KEEPS)
    )
    return args[:XEN_KEEPS]


def _quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def _chosen_open(dom0_mem_mib, extra=""):
    """The start of /chosen with Xen's command line; the caller closes it."""
    return [
        "/ {",
        "  chosen {",
        "    #address-cells = <2>;",
        "    #size-cells = <2>;",
        "    xen,xen-bootargs = %s;" % _quote(xen_args(dom0_mem_mib, extra)),
    ]


def _chosen_dom0(dom0_mem_mib, base, size, args, extra=""):
    """The start of /chosen: Xen's command line and dom0's kernel module
    (the stubmon image, or a Linux Image) at `base`; the caller closes it."""
    return _chosen_open(dom0_mem_mib, extra) + [
        "    dom0 {",
        '      compatible = "multiboot,kernel", "multiboot,module";',
        "      reg = <0x0 0x%x 0x0 0x%x>;" % (base, size),
        "      bootargs = %s;" % _quote(bootargs(args, "dom0")),
        "    };",
    ]


def device_tree(
    image,
    args,
    domus,
    dom0_mem_mib,
    qemu_mem_mib,
    dom0=True,
    policy=None,
    xen_extra="",
    domu_image=None,
):
    """Path of a device tree for this scenario (cached by content).
    dom0 False: no dom0 module; `args` are then unused (the monitor is one
    of `domus`, with its `caps`). policy: (address, size) of a FLASK
    policy module (compatible "xen,xsm-policy"); xen_extra: more of Xen's
    command line. domu_image: the Image of the domus other than the
    monitor, if not `image` (qemu_command)."""
    size = os.path.getsize(image)
    domu_size = os.path.getsize(domu_image) if domu_image else size
    if dom0:
        nodes = _chosen_dom0(dom0_mem_mib, MODULE_BASE, size, args, xen_extra)
    else:
        nodes = _chosen_open(dom0_mem_mib, xen_extra)
    for i, d in enumerate(domus, 1):
        own = not dom0 and i == 1  # mode control: d1 is the monitor
        nodes += domu_node(i, d, MODULE_BASE + i * MODULE_STRIDE, size if own else domu_size)
    if policy:
        nodes += [
            "    xsm-policy {",
            '      compatible = "xen,xsm-policy", "multiboot,module";',
            "      reg = <0x0 0x%x 0x0 0x%x>;" % policy,
            "    };",
        ]
    nodes += ["  };", "};", ""]
    return _dtb("\n".join(nodes), qemu_mem_mib)


def domu_node(i, d, base, size):
    """The dts lines of dom0less domain node domU<i>: `d` as in
    qemu_command's domus, its kernel module (the Image) at `base`. The
    same properties as the shipped boards/arm64/control-domain.dts."""
    lines = [
        "    domU%d {" % i,
        '      compatible = "xen,domain";',
        "      #address-cells = <1>;",
        "      #size-cells = <1>;",
        "      memory = <0x0 0x%x>;" % d.get("mem_kib", d.get("mem_mib", 0) * 1024),
        "      cpus = <%d>;" % d["vcpus"],
    ]
    if d.get("caps") is not None:
        lines.append("      capabilities = <0x%x>;" % d["caps"])
    return lines + [
        "      kernel {",
        '        compatible = "multiboot,kernel", "multiboot,module";',
        "        reg = <0x%x 0x%x>;" % (base, size),
        "        bootargs = %s;" % _quote(bootargs(d["args"], "domU%d" % i)),
        "      };",
        "    };",
    ]


def _dtb(extra, qemu_mem_mib):
    """QEMU's own device tree with `extra` (dts text) added, cached by content."""
    key = hashlib.sha256(("%s|%d|%s" % (MACHINE, qemu_mem_mib, extra)).encode()).hexdigest()[:16]
    os.makedirs(CACHE, exist_ok=True)
    out = os.path.join(CACHE, key + ".dtb")
    if os.path.exists(out):
        return out
    # Written under names of this process's own, then renamed: two test
    # workers (pytest-xdist) may make the same tree at once, and either copy
    # is the same file.
    tmp = ".%d.tmp" % os.getpid()
    base = os.path.join(CACHE, "virt-%d.dtb" % qemu_mem_mib)
    if not os.path.exists(base):
        subprocess.run(
            [
                "qemu-system-aarch64",
                "-machine",
                MACHINE + ",dumpdtb=" + base + tmp,
                "-cpu",
                CPU,
                "-smp",
                str(SMP),
                "-m",
                str(qemu_mem_mib),
                "-display",
                "none",
            ],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        os.replace(base + tmp, base)
    dts = subprocess.run(
        ["dtc", "-q", "-I", "dtb", "-O", "dts", base], check=True, capture_output=True, text=True
    ).stdout
    src = out + tmp + ".dts"
    with open(src, "w") as f:
        f.write(dts + "\n" + extra)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out + tmp, src], check=True)
    os.replace(out + tmp, out)
    os.replace(src, out + ".dts")  # kept beside it, as before: the tree as text
    return out


def qemu_command(
    xen,
    image,
    args,
    dom0_mem_mib=DOM0_MEM_MIB,
    qemu_mem_mib=QEMU_MEM_MIB,
    domus=None,
    mode="dom0less",
    control_caps=CAPS_CONTROL,
    policy=None,
    flask="enforcing",
    domu_image=None,
):
    """domus: [{"mem_mib": 16, "vcpus": 1, "args": "role=guest ...",
    "caps": 0x4 (optional: the `capabilities` property)}, ...] booted as
    dom0less domUs with the same Image; None: DEFAULT_DOMUS (modes
    dom0less and control) or none (mode dom0). Mode control: no dom0; the
    monitor (`args`) is domU d1 with `capabilities = <control_caps>`
    (CONTROL_MEM_MIB, 1 vCPU), the domus d2, d3, ...
    policy: a FLASK policy file, loaded as a module after the Images, Xen
    booted `xsm=flask flask=<flask>` (Xen's arm64 builds have FLASK).
    domu_image: the Image the domus boot, if not the monitor's `image`
    (make bench's C reference monitor beside stubmon's guests)."""
    if domus is None:
        domus = DEFAULT_DOMUS if mode in ("dom0less", "control") else ()
    domus = list(domus)
    dom0 = mode != "control"
    if not dom0:
        domus = [control_domu(args, control_caps)] + domus
    pol = extra = None
    if policy:
        pol = (MODULE_BASE + (len(domus) + 1) * MODULE_STRIDE, os.path.getsize(policy))
        extra = "xsm=flask flask=" + flask
    dtb = device_tree(
        image,
        args,
        domus,
        dom0_mem_mib,
        qemu_mem_mib,
        dom0=dom0,
        policy=pol,
        xen_extra=extra or "",
        domu_image=domu_image,
    )
    cmd = _qemu_base(qemu_mem_mib) + [
        "-kernel",
        xen,
        "-dtb",
        dtb,
        "-append",
        xen_args(dom0_mem_mib, extra or ""),
    ]
    for i in range(0 if dom0 else 1, len(domus) + 1):
        own = i == (0 if dom0 else 1)  # the monitor's module
        cmd += [
            "-device",
            "loader,file=%s,addr=0x%x,force-raw=on"
            % (image if own or not domu_image else domu_image, MODULE_BASE + i * MODULE_STRIDE),
        ]
    if pol:
        cmd += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (policy, pol[0])]
    return cmd


def control_domu(args, caps=CAPS_CONTROL):
    """The monitor as a dom0less domU of its own, with `capabilities`."""
    return {"mem_mib": CONTROL_MEM_MIB, "vcpus": 1, "args": args, "caps": caps}


def xen_binary(deps, version):
    if version in DEBIAN_XEN:
        return "%s/xen-%s-arm64" % (deps, version)
    return xenshared.hypervisor(version, ARCH)


# A Linux dom0 (tools/dom0/xlboot.py): Debian's Image and the initramfs as
# /chosen modules, loaded past Xen with -device loader (Xen moves itself to
# the top of RAM).
LINUX_KERNEL_BASE = 0x50000000  # QEMU puts the device tree at 0x48000000
QEMU_MEM_LINUX_MIB = 1024


def linux_dom0_command(
    xen, kernel, initrd, bootargs_, dom0_mem_mib, qemu_mem_mib=QEMU_MEM_LINUX_MIB
):
    ksize = os.path.getsize(kernel)
    isize = os.path.getsize(initrd)
    ibase = (LINUX_KERNEL_BASE + ksize + 0x1FFFFF) & ~0x1FFFFF
    extra = "\n".join(
        _chosen_dom0(dom0_mem_mib, LINUX_KERNEL_BASE, ksize, bootargs_)
        + [
            "    dom0-ramdisk {",
            '      compatible = "multiboot,ramdisk", "multiboot,module";',
            "      reg = <0x0 0x%x 0x0 0x%x>;" % (ibase, isize),
            "    };",
            "  };",
            "};",
            "",
        ]
    )
    dtb = _dtb(extra, qemu_mem_mib)
    return _qemu_base(qemu_mem_mib) + [
        "-kernel",
        xen,
        "-dtb",
        dtb,
        "-append",
        xen_args(dom0_mem_mib),
        "-device",
        "loader,file=%s,addr=0x%x,force-raw=on" % (kernel, LINUX_KERNEL_BASE),
        "-device",
        "loader,file=%s,addr=0x%x,force-raw=on" % (initrd, ibase),
    ]
