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
