# SPDX-License-Identifier: MIT
"""What a board is, as its boards/BOARD/mpconfigboard.mk says: the make
fragment's NAME = value lines (its QEMU machine, CPU, memory, boot modes),
read by the board's QEMU harness (tools/boards/BOARD.py), as MicroPython's
ports/qemu boards hand QEMU_ARGS to the port's make."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(board):
    """{NAME: value string} of boards/BOARD/mpconfigboard.mk."""
    out = {}
    with open(os.path.join(REPO, "boards", board, "mpconfigboard.mk")) as f:
        for line in f:
            name, eq, value = line.partition("=")
            if eq and not line.lstrip().startswith("#"):
                out[name.strip().rstrip("?:")] = value.strip()
    return out


def headless(smp, mem_mib):
    """The QEMU options every board boots with: its vCPUs and memory, no
    display or monitor, the serial console on stdio (what the tests read),
    and no reboot (Xen's reset ends QEMU)."""
    return [
        "-smp",
        str(smp),
        "-m",
        str(mem_mib),
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
    ]
