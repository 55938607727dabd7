# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs dtc and fdtput)
"""The shipped boot description of a control domain without dom0
(docs/control-domain.md): boards/arm64/control-domain.dts compiles; the
`fdt` commands of boards/arm64/control-domain.uboot, replayed with fdtput
(U-Boot's `fdt mknode` / `fdt set` do what `fdtput -c` / `fdtput -t` do),
make exactly its /chosen; and the node tools/boards/arm64.py boots in the
tests (mode "control") has the same properties with the same values,
but for where the Image is, what it is told and how much memory it gets."""

import os
import re
import shlex
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tools"))
import boot  # noqa: E402

DTS = os.path.join(TOP, "boards", "arm64", "control-domain.dts")
UBOOT = os.path.join(TOP, "boards", "arm64", "control-domain.uboot")
# the values the .dts gives as its example, for the script's variables
EXAMPLE = {"stubmon_addr": "0x49400000", "stubmon_size": "48000", "fdt_addr": "0x47000000"}
BASE = "/dts-v1/;\n/ { chosen { }; };\n"


def have_tools():
    for t in ("dtc", "fdtput", "fdtget"):
        if subprocess.run(["which", t], capture_output=True).returncode:
            pytest.skip("no %s (Debian's device-tree-compiler)" % t)


def dtc(src, out):
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, src], check=True)


def dump(dtb, path="/chosen"):
    """{node path: {property: bytes as hex}} of the tree under `path`."""

    def get(*args):
        return subprocess.run(
            ["fdtget"] + list(args), check=True, capture_output=True, text=True
        ).stdout.split()

    out = {}
    props = {}
    for p in get("-p", dtb, path):
        props[p] = " ".join(get("-t", "bx", dtb, path, p))
    out[path] = props
    for child in get("-l", dtb, path):
        out.update(dump(dtb, path.rstrip("/") + "/" + child))
    return out


def shipped(tmp_path):
    src = tmp_path / "shipped.dts"
    src.write_text(BASE + open(DTS).read())
    dtb = str(tmp_path / "shipped.dtb")
    dtc(str(src), dtb)
    return dump(dtb)


def replay(script, dtb):
    """The script's `fdt mknode` and `fdt set` lines, through fdtput."""
    done = 0
    for line in open(script):
        line = line.strip()
        if not line.startswith("fdt "):
            continue
        line = re.sub(r"\$\{(\w+)\}", lambda m: EXAMPLE[m.group(1)], line)
        words = shlex.split(line)  # \# -> #, "a b" -> one word
        if words[1] == "mknode":
            node = words[2].rstrip("/") + "/" + words[3]
            subprocess.run(["fdtput", "-c", dtb, node], check=True)
        elif words[1] == "set":
            node, prop, value = words[2], words[3], words[4:]
            if value[0].startswith("<"):
                cells = " ".join(value).strip("<>").split()
                subprocess.run(
                    ["fdtput", "-t", "x", dtb, node, prop] + ["%x" % int(c, 16) for c in cells],
                    check=True,
                )
            else:
                subprocess.run(["fdtput", "-t", "s", dtb, node, prop] + value, check=True)
        elif words[1] in ("addr", "resize"):
            continue
        else:
            raise AssertionError("an fdt command this test does not replay: %r" % line)
        done += 1
    return done


def test_the_dts_fragment_compiles_and_says_control(tmp_path):
    have_tools()
    tree = shipped(tmp_path)
    node = tree["/chosen/stubmon"]
    assert node["capabilities"] == "0 0 0 1"  # DOMAIN_CAPS_CONTROL
    assert node["compatible"] == " ".join("%x" % b for b in b"xen,domain\0")
    assert "guest_loglvl=all" in open(DTS).read()
    assert sorted(tree) == ["/chosen", "/chosen/stubmon", "/chosen/stubmon/kernel"]
    assert not [p for p in tree if "dom0" in p]


def test_the_uboot_script_makes_the_same_nodes(tmp_path):
    have_tools()
    base = tmp_path / "base.dts"
    base.write_text(BASE)
    dtb = str(tmp_path / "uboot.dtb")
    dtc(str(base), dtb)
    assert replay(UBOOT, dtb) == 14  # 2 mknode, 12 set
    assert dump(dtb) == shipped(tmp_path)
    text = open(UBOOT).read()
    assert "booti ${xen_addr} - ${fdt_addr}" in text
    assert not [l for l in text.splitlines() if "dom0" in l and not l.startswith("#")]


def test_boot_py_boots_the_shipped_node(tmp_path):
    """The control domain's node tools/boards/arm64.py makes for the boot
    tests has the shipped node's properties, the same values but for the
    module's address and size, its bootargs and its memory."""
    have_tools()
    board = boot.load_board("arm64")
    d = board.control_domu("interval=1", board.CAPS_CONTROL)
    lines = board.domu_node(1, d, 0x49400000, 0x48000)
    src = tmp_path / "board.dts"
    src.write_text(
        BASE
        + "\n".join(
            ["/ {", "  chosen {", "    #address-cells = <2>;", "    #size-cells = <2>;"]
            + lines
            + ["  };", "};", ""]
        )
    )
    dtb = str(tmp_path / "board.dtb")
    dtc(str(src), dtb)
    ours = dump(dtb)
    ship = shipped(tmp_path)
    mine_node, ship_node = ours["/chosen/domU1"], ship["/chosen/stubmon"]
    assert sorted(mine_node) == sorted(ship_node)
    for p in ship_node:
        if p != "memory":
            assert mine_node[p] == ship_node[p], p
    assert sorted(ours["/chosen/domU1/kernel"]) == sorted(ship["/chosen/stubmon/kernel"])
    mine_k, ship_k = ours["/chosen/domU1/kernel"], ship["/chosen/stubmon/kernel"]
    assert mine_k["compatible"] == ship_k["compatible"] and mine_k["reg"] == ship_k["reg"]
    # and no dom0 module in mode "control"
    cmd = board.qemu_command(
        "xen", os.path.join(TOP, "LICENSE"), "interval=1", mode="control", domus=[]
    )
    tree = open(cmd[cmd.index("-dtb") + 1] + ".dts").read()
    assert "dom0 {" not in tree and "capabilities = <0x1>;" in tree
