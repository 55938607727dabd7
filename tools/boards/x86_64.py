# SPDX-License-Identifier: MIT
"""How Xen boots the x86_64 image under QEMU: as dom0, the way Xen's own
CI boots its test kernels (multiboot Xen, the image as the first module).
The one image boots as a PV or as a PVH dom0 (`mode`)."""

import os
import sys

sys.path.insert(
    0,
    os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"
    ),
)
import boarddata  # noqa: E402
import xenshared  # noqa: E402

ARCH = "x86_64"
BOARD = boarddata.read("x86_64")  # boards/x86_64/mpconfigboard.mk
# Debian's (tools/deps.sh), then those found in ../shared/xen (4.21, 4.22)
DEBIAN_XEN = tuple(BOARD["XEN_DEBIAN"].split())
XEN_VERSIONS = DEBIAN_XEN + xenshared.available(ARCH)
# Ends QEMU with status (code << 1) | 1 when the monitor runs with exit=qemu.
EXIT_ARGS = "exit=qemu"
DOM0_MEM_MIB = int(BOARD["DOM0_MEM_MIB"])
MODES = tuple(BOARD["BOOT_MODES"].split())


def qemu_command(
    xen, image, args, mode="pv", dom0_mem_mib=DOM0_MEM_MIB, qemu_mem_mib=int(BOARD["QEMU_MEM_MIB"])
):
    if mode not in MODES:
        raise ValueError("mode %r: want one of %s" % (mode, ", ".join(MODES)))
    # PVH needs hardware-assisted paging (Debian's Xen has no shadow paging):
    # QEMU's TCG offers AMD SVM with nested paging.
    cpu = ["-cpu", "qemu64,+svm,+npt"] if mode == "pvh" else []
    pvh = ["dom0=pvh dom0-iommu=none"] if mode == "pvh" else []
    xen_args = " ".join(
        pvh
        + [
            "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all",
            "noreboot console_timestamps=boot dom0_max_vcpus=1",
            "dom0_mem=%dM,max:%dM" % (dom0_mem_mib, dom0_mem_mib),
        ]
    )
    return (
        ["qemu-system-x86_64", "-machine", BOARD["QEMU_MACHINE"]]
        + cpu
        + boarddata.headless(BOARD["QEMU_SMP"], qemu_mem_mib)
        + [
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
            # QEMU splits -initrd at commas (several modules): ',,' is a comma
            "-kernel",
            xen,
            "-initrd",
            "%s %s" % (image, args.replace(",", ",,")),
            "-append",
            xen_args,
        ]
    )


def xen_binary(deps, version):
    if version in DEBIAN_XEN:
        return "%s/xen-%s-amd64" % (deps, version)
    return xenshared.hypervisor(version, ARCH)
