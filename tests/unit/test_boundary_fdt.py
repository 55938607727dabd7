# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (compiles C with the host's gcc)
"""The arm64 boot's device-tree walk (port-xen/arch/arm64/early.c,
arm64_early_fdt: /chosen/bootargs and /memory's reg, read before the MMU
is on) against trees that lie: every length and offset in a tree is
checked against the block it points into before anything there is read.

The walk is C without the arch in it, so its part of early.c (everything
before the page tables, which hold arm64 assembly) is compiled for the
host with AddressSanitizer and fed: a well-formed tree (what it must
read), trees with one field broken (a property longer than the structure
block, a name offset past the strings block, a node name without its NUL,
block offsets past the tree), and 200000 random mutations of the good
tree, each in a buffer exactly the tree's size: a read past it fails."""

import os
import shutil
import struct
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EARLY = os.path.join(TOP, 'port-xen', 'arch', 'arm64', 'early.c')
CUT = '// Page tables:'  # early.c from here on is the MMU's (arm64 asm)

DRIVER = r'''
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arm64.h"

void arm64_early_fdt(const uint8_t *fdt);

static uint8_t *load(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        exit(2);
    }
    static uint8_t tmp[1 << 16];
    *n = fread(tmp, 1, sizeof(tmp), f);
    fclose(f);
    uint8_t *b = malloc(*n);   // exactly the tree: ASan sees a byte past it
    memcpy(b, tmp, *n);
    return b;
}

static void show(void) {
    printf("cmdline=%s\n", arm64_cmdline_buf);
    for (unsigned i = 0; i < arm64_ram_banks; i++) {
        printf("bank=%llx+%llx\n", (unsigned long long)arm64_ram_bank[i][0],
            (unsigned long long)arm64_ram_bank[i][1]);
    }
}

int main(int argc, char **argv) {
    size_t n;
    uint8_t *good = load(argv[2], &n);
    if (!strcmp(argv[1], "parse")) {
        arm64_early_fdt(good);
        show();
        return 0;
    }
    // fuzz: random bytes of the tree changed, all but magic and totalsize
    // (Xen gives the memory the header says the tree has)
    uint32_t x = 2463534242u;
    long rounds = atol(argv[3]);
    uint8_t *b = malloc(n);
    for (long k = 0; k < rounds; k++) {
        memcpy(b, good, n);
        for (int m = 1 + k % 4; m > 0; m--) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t at = 8 + x % (n - 8);
            b[at] = (uint8_t)(x >> 8) ^ (k & 1 ? 0x80 : 0);
        }
        arm64_early_fdt(b);
        if (strlen(arm64_cmdline_buf) >= ARM64_CMDLINE_MAX || arm64_ram_banks > ARM64_RAM_BANKS) {
            return 1;
        }
    }
    puts("ok");
    return 0;
}
'''

BEGIN, END, PROP, NOP, FDT_END = 1, 2, 3, 4, 9


def tree(props_chosen=None, bad=None):
    """A flattened tree: / (#address-cells 2, #size-cells 2), /chosen
    (bootargs), /memory@40000000 (reg: two banks). bad: one field to
    break, by name."""
    strings = b''
    offs = {}

    def soff(name):
        nonlocal strings
        if name not in offs:
            offs[name] = len(strings)
            strings += name.encode() + b'\0'
        return offs[name]

    def pad(b):
        return b + b'\0' * (-len(b) % 4)

    def node(name):
        return struct.pack('>I', BEGIN) + pad(name.encode() + b'\0')

    def prop(name, value, length=None, nameoff=None):
        return struct.pack(
            '>III',
            PROP,
            len(value) if length is None else length,
            soff(name) if nameoff is None else nameoff,
        ) + pad(value)

    s = node('')
    s += prop('#address-cells', struct.pack('>I', 2)) + prop('#size-cells', struct.pack('>I', 2))
    s += node('chosen')
    bootargs = b'role=guest x=1\0'
    if bad == 'prop_len':
        s += prop('bootargs', bootargs, length=0x7FFFFF00)
    elif bad == 'name_offset':
        s += prop('bootargs', bootargs, nameoff=0x7FFFFF00)
    else:
        s += prop('bootargs', bootargs)
    s += struct.pack('>I', END)
    s += node('memory@40000000')
    s += prop('device_type', b'memory\0')
    s += prop('reg', struct.pack('>QQQQ', 0x40000000, 0x8000000, 0x50000000, 0x1000000))
    s += struct.pack('>I', END) + struct.pack('>I', END)
    if bad == 'name_no_nul':
        s += struct.pack('>I', BEGIN) + b'memory'  # the block ends inside the name
    else:
        s += struct.pack('>I', FDT_END)
    rsv = b'\0' * 16
    off_rsv = 40
    off_struct = off_rsv + len(rsv)
    off_strings = off_struct + len(s)
    total = off_strings + len(strings)
    size_struct = len(s)
    if bad == 'struct_offset':
        off_struct = total + 4
    if bad == 'struct_size':
        size_struct = total
    if bad == 'strings_size':
        strings_size = total
    else:
        strings_size = len(strings)
    hdr = struct.pack(
        '>10I',
        0xD00DFEED,
        total,
        off_struct,
        off_strings,
        off_rsv,
        17,
        16,
        0,
        strings_size,
        size_struct,
    )
    blob = hdr + rsv + s + strings
    assert len(blob) == total
    return blob


@pytest.fixture(scope='module')
def fdt_walk(tmp_path_factory):
    gcc = shutil.which('gcc')
    if gcc is None:
        pytest.skip('needs gcc')
    src = open(EARLY).read()
    assert CUT in src, 'early.c: the device-tree walk is no longer followed by %r' % CUT
    d = tmp_path_factory.mktemp('fdt')
    (d / 'early_fdt.c').write_text(src.split(CUT)[0])
    (d / 'driver.c').write_text(DRIVER)
    exe = d / 'fdt_walk'
    cmd = [
        gcc,
        '-std=gnu99',
        '-Wall',
        '-Werror',
        '-O1',
        '-g',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=all',
        '-I',
        os.path.join(TOP, 'port-xen', 'arch', 'arm64'),
        str(d / 'early_fdt.c'),
        str(d / 'driver.c'),
        '-o',
        str(exe),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]

    def run(blob, *args):
        path = d / 'tree.dtb'
        path.write_bytes(blob)
        r = subprocess.run(
            [str(exe), args[0], str(path)] + list(args[1:]),
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'),
        )
        assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
        return r.stdout.splitlines()

    return run


def test_a_good_tree_gives_the_command_line_and_the_banks(fdt_walk):
    assert fdt_walk(tree(), 'parse') == [
        'cmdline=role=guest x=1',
        'bank=40000000+8000000',
        'bank=50000000+1000000',
    ]


@pytest.mark.parametrize('bad', ['prop_len', 'name_offset'])
def test_a_bad_bootargs_property_is_not_read(fdt_walk, bad):
    # the memory node after it: read when the walk can go on (a name
    # offset out of the strings block skips one property), not when the
    # structure itself is broken (a length past its end stops the walk)
    out = fdt_walk(tree(bad=bad), 'parse')
    assert out[0] == 'cmdline='
    assert out[1:] == (
        [] if bad == 'prop_len' else ['bank=40000000+8000000', 'bank=50000000+1000000']
    )


@pytest.mark.parametrize('bad', ['name_no_nul', 'struct_offset', 'struct_size', 'strings_size'])
def test_a_tree_that_points_outside_itself_is_read_no_further(fdt_walk, bad):
    out = fdt_walk(tree(bad=bad), 'parse')
    if bad == 'name_no_nul':  # what came before the broken node was read
        assert out == ['cmdline=role=guest x=1', 'bank=40000000+8000000', 'bank=50000000+1000000']
    else:
        assert out == ['cmdline=']


def test_random_damage_never_reads_outside_the_tree(fdt_walk):
    assert fdt_walk(tree(), 'fuzz', '200000') == ['ok']
