# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (lark, gcc; mprun.py never runs this module)
# tools/xenabi on small header fragments, preprocessed by the arch's own
# gcc and parsed by the lark grammar: nested and anonymous unions,
# bit-fields, conditional blocks per arch and interface version, the Xen
# handle macros, what must be skipped, #define constants, and malformed
# input, which must fail naming the file and line; a missing cross compiler
# stops the generator with one line. The fragment layouts are also checked
# against gcc.
import os
import re
import shutil
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools', 'xenabi'))
import cparse  # noqa: E402
import gen  # noqa: E402
import preprocess  # noqa: E402

HANDLES = r'''
#ifndef FRAG_HANDLES_H
#define FRAG_HANDLES_H
#if defined(__aarch64__)
#define uint64_aligned_t uint64_t __attribute__((__aligned__(8)))
#define ___DEFINE_XEN_GUEST_HANDLE(name, type)                  \
    typedef union { type *p; uint64_aligned_t q; }              \
        __guest_handle_64_ ## name
#define XEN_GUEST_HANDLE(name)  __guest_handle_64_ ## name
#else
#define ___DEFINE_XEN_GUEST_HANDLE(name, type) \
    typedef struct { type *p; } __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name)  __guest_handle_ ## name
#endif
#define __DEFINE_XEN_GUEST_HANDLE(name, type) \
    ___DEFINE_XEN_GUEST_HANDLE(name, type);   \
    ___DEFINE_XEN_GUEST_HANDLE(const_##name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name)   __DEFINE_XEN_GUEST_HANDLE(name, name)
#ifndef uint64_aligned_t
#define uint64_aligned_t uint64_t
#endif
#define XEN_GUEST_HANDLE_64(name) XEN_GUEST_HANDLE(name)
#endif
'''

MAIN = r'''
/* a comment with struct { in it */
#include "handles.h"
#define set_handle(hnd, val) do { (hnd).p = (val); } while (0)
#define STR_CONST "lx"
#define FRAG_VERSION 0x00041300
#define FRAG_FLAG (1U<<_FRAG_FLAG)
#define _FRAG_FLAG 3
#define NR_THINGS (2 * 4)
#define FRAG_NONE (~0U)
#define FRAG_NONE64 (~0UL)
#define FRAG_NEG (-1)

static int prototype_only(void);
static inline int helper(void *h)
{
    struct { int x; } *p = h;   /* code, not layout */
    return p->x;
}

typedef uint16_t domid_t;
typedef uint8_t handle_t[16];
enum frag_kind { FRAG_A, FRAG_B = 5, FRAG_C, };

struct frag_inner {
    uint32_t a;
    uint64_aligned_t b;
};
typedef struct frag_inner frag_inner_t;
DEFINE_XEN_GUEST_HANDLE(frag_inner_t);

struct frag {
    domid_t domain;              /* 0 */
    uint8_t  enabled : 1,
             len : 5;
    uint8_t  rsv : 2;
    union {
        uint32_t word;
        struct {
            uint16_t lo, hi;
        } half;
        struct {                 /* anonymous: members land in the union */
            uint8_t b0, b1;
        };
    } u;
    union {                      /* anonymous union */
        uint64_t big;
        char bytes[NR_THINGS];
    };
    handle_t handle;
    XEN_GUEST_HANDLE_64(frag_inner_t) list;
    struct frag_inner inner[2];
#if defined(__x86_64__)
    uint32_t x86_only;
#elif defined(__aarch64__)
    uint64_t arm_only;
#else
#error "unknown arch"
#endif
#if FRAG_VERSION >= 0x00041300 && !defined(NOT_DEFINED)
    uint32_t new_field;
#endif
#if __XEN_INTERFACE_VERSION__ < 0x00030203
    uint32_t ancient;
#endif
    uint32_t kinds[FRAG_C];
    char tail[];
} __attribute__((aligned(8)));
'''


def write(tmp_path, files):
    d = tmp_path / 'include' / 'xen'
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return str(tmp_path / 'include')


def read(inc, arch, top='main.h'):
    defines = dict(gen.DEFINES, __XEN_INTERFACE_VERSION__='0x00041300')
    pp = preprocess.run(
        inc,
        arch,
        [top],
        defines,
        lambda n: (
            gen.wanted_constant(n)
            or n.startswith('FRAG_')
            or n in ('NR_THINGS', 'STR_CONST', 'set_handle')
        ),
    )
    return pp, cparse.parse(pp)


def constant(pp, name):
    return cparse.constant(pp.expansions[name])


def fields(unit, name):
    lay = cparse.layout(unit.records['struct ' + name])
    return lay, dict((f.name, f) for f in lay.fields)


@pytest.mark.parametrize('arch', ['x86_64', 'aarch64'])
def test_fragment_layout(arch, tmp_path):
    inc = write(tmp_path, {'main.h': MAIN, 'handles.h': HANDLES})
    pp, unit = read(inc, arch)
    lay, f = fields(unit, 'frag')
    assert f['domain'].offset == 0
    assert (f['enabled'].offset, f['enabled'].bitpos, f['enabled'].width) == (2, 0, 1)
    assert (f['len'].offset, f['len'].bitpos, f['len'].width) == (2, 1, 5)
    assert (f['rsv'].offset, f['rsv'].bitpos) == (2, 6)  # fits the same byte
    assert f['u'].offset == 4
    u = cparse.layout(cparse.strip(f['u'].type))
    uf = dict((x.name, x.offset) for x in u.fields)
    assert uf == {'word': 0, 'half': 0, 'b0': 0, 'b1': 1}  # anonymous struct flattened
    assert f['big'].offset == 8 and f['bytes'].offset == 8  # anonymous union flattened
    assert cparse.size_align(f['bytes'].type)[0] == 8  # NR_THINGS expanded
    assert f['handle'].offset == 16
    assert f['list'].offset == 32
    assert cparse.size_align(f['list'].type) == (8, 8)
    assert f['inner'].offset == 40 and cparse.size_align(f['inner'].type)[0] == 32
    assert 'ancient' not in f
    assert 'new_field' in f
    assert cparse.size_align(f['kinds'].type)[0] == 4 * 6  # FRAG_C == 6
    if arch == 'x86_64':
        assert 'x86_only' in f and 'arm_only' not in f
    else:
        assert 'arm_only' in f and 'x86_only' not in f
    # skipped, not parsed: the inline function, the function-like macro
    # with a body (listed by -dM, never expanded)
    assert 'domid_t' in unit.typedefs  # parsing resumed after the prototype and the body
    assert pp.macros['set_handle'] == '(hnd,val)' and 'set_handle' not in pp.expansions
    assert 'helper' not in unit.typedefs
    # every parsed line maps back to its header's line
    line = MAIN.split('\n').index('struct frag_inner {') + 1
    assert pp.out[pp.where.index(('xen/main.h', line))] == 'struct frag_inner {'
    # the compiler's own macros decided the arch block, not a define of ours
    assert gen.ARCHES[arch] in pp.macros
    # constants: integer #defines (with casts, shifts, later macros), not strings
    assert constant(pp, 'FRAG_FLAG') == 8 and constant(pp, 'NR_THINGS') == 8
    assert constant(pp, 'FRAG_VERSION') == 0x41300
    assert constant(pp, 'STR_CONST') is None
    assert constant(pp, 'FRAG_NONE') == 0xFFFFFFFF and constant(pp, 'FRAG_NONE64') == (1 << 64) - 1
    assert constant(pp, 'FRAG_NEG') == -1
    assert unit.enum_values == {'FRAG_A': 0, 'FRAG_B': 5, 'FRAG_C': 6}
    # and the whole of it agrees with gcc for this arch
    compare_with_gcc(inc, arch, lay, f, tmp_path)


def compare_with_gcc(inc, arch, lay, f, tmp_path):
    names = [
        'domain',
        'u',
        'big',
        'bytes',
        'handle',
        'list',
        'inner',
        'kinds',
        'tail',
        'new_field',
        'x86_only' if arch == 'x86_64' else 'arm_only',
    ]
    exprs = (
        [('sizeof(struct frag)', lay.size)]
        + [('offsetof(struct frag, %s)' % n, f[n].offset) for n in names]
        + [
            ('offsetof(struct frag, u.half.hi)', 6),
            ('offsetof(struct frag, u.b1)', 5),
            ('_Alignof(struct frag)', lay.align),
        ]
    )
    src = tmp_path / 'frag.c'
    lines = ['#include <stddef.h>', '#include <stdint.h>', '#include <xen/main.h>']
    for i, (e, _) in enumerate(exprs):
        lines.append('const unsigned long long v%d = (unsigned long long)(%s);' % (i, e))
    src.write_text('\n'.join(lines) + '\n')
    cc = 'gcc' if arch == 'x86_64' else 'aarch64-linux-gnu-gcc'
    obj = tmp_path / 'frag.o'
    subprocess.run(
        [
            cc,
            '-ffreestanding',
            '-std=gnu11',
            '-D__XEN_INTERFACE_VERSION__=0x00041300',
            '-I',
            inc,
            '-c',
            '-o',
            str(obj),
            str(src),
        ],
        check=True,
    )
    got = read_consts(obj, len(exprs), '' if arch == 'x86_64' else 'aarch64-linux-gnu-')
    bad = [
        '%s: gcc %d, xenabi %d' % (e, got[i], v) for i, (e, v) in enumerate(exprs) if got[i] != v
    ]
    assert not bad, bad


def read_consts(obj, n, prefix):
    # v0..vN-1: 8-byte little-endian constants in .rodata (nm + objcopy)
    syms = subprocess.run(
        [prefix + 'nm', str(obj)], check=True, capture_output=True, text=True
    ).stdout
    subprocess.run(
        [
            prefix + 'objcopy',
            '-O',
            'binary',
            '--only-section=.rodata',
            str(obj),
            str(obj) + '.rodata',
        ],
        check=True,
    )
    data = open(str(obj) + '.rodata', 'rb').read()
    got = {}
    for line in syms.splitlines():
        m = re.match(r'([0-9a-f]+) [Rr] v(\d+)$', line)
        if m:
            off = int(m.group(1), 16)
            got[int(m.group(2))] = int.from_bytes(data[off : off + 8], 'little')
    assert len(got) == n
    return got


def test_malformed_struct_fails_with_file_and_line(tmp_path):
    bad = 'struct ok { int a; };\n\nstruct broken {\n    uint32_t a;\n    uint32_t b c;\n};\n'
    inc = write(tmp_path, {'main.h': bad})
    with pytest.raises(cparse.ParseError) as e:
        read(inc, 'x86_64')
    assert str(e.value).startswith('xen/main.h:5: '), str(e.value)


def test_unknown_member_type_fails_with_file_and_line(tmp_path):
    inc = write(tmp_path, {'main.h': '\nstruct s {\n    mystery_t m;\n};\n'})
    with pytest.raises(cparse.ParseError) as e:
        read(inc, 'x86_64')
    assert str(e.value).startswith('xen/main.h:3: unknown type mystery_t')


def test_preprocessor_errors_name_file_and_line(tmp_path):
    inc = write(
        tmp_path,
        {
            'main.h': '#if 1\n#if defined(__riscv)\n#else\n#error "no arch"\n#endif\n#endif\n',
            'open.h': '#if 1\nstruct s { int a; };\n',
            'inc.h': '\n#include "absent.h"\n',
        },
    )
    with pytest.raises(preprocess.PreprocessError) as e:
        read(inc, 'aarch64')
    assert str(e.value) == 'xen/main.h:4: #error "no arch"'
    with pytest.raises(preprocess.PreprocessError) as e:
        read(inc, 'x86_64', top='open.h')
    assert str(e.value).startswith('xen/open.h:1: ') and 'unterminated #if' in str(e.value)
    with pytest.raises(preprocess.PreprocessError) as e:  # no C library either
        read(inc, 'x86_64', top='inc.h')
    assert str(e.value).startswith('xen/inc.h:2: absent.h: No such file'), str(e.value)


def test_used_struct_only_declared_fails(tmp_path):
    inc = write(tmp_path, {'main.h': 'struct later;\nstruct s {\n    struct later l;\n};\n'})
    pp, unit = read(inc, 'x86_64')
    with pytest.raises(cparse.ParseError) as e:
        cparse.layout(unit.records['struct s'])
    assert 'xen/main.h:3: member l' in str(e.value) and 'never defined' in str(e.value)


def test_generator_reports_bad_headers_by_file_and_line(tmp_path):
    # a whole release tree whose sysctl.h is broken: gen.py must stop, naming it
    inc = tmp_path / 'libxen-dev-9.9' / 'usr' / 'include' / 'xen'
    inc.mkdir(parents=True)
    for f in gen.TOP_FILES:
        (inc / f).write_text('\n')
    (inc / 'sysctl.h').write_text('struct xen_sysctl {\n  uint32_t cmd\n};\n')
    r = subprocess.run(
        [
            sys.executable,
            os.path.join(TOP, 'tools', 'xenabi', 'gen.py'),
            '--deps',
            str(tmp_path),
            '--out',
            str(tmp_path / 'out'),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert 'xenabi: Xen 9.9 aarch64: xen/sysctl.h:3: ' in r.stderr, r.stderr
    assert not (tmp_path / 'out').exists()


def test_missing_cross_compiler_is_one_line(tmp_path):
    # only the host gcc on PATH: the generator names what is missing, once
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    os.symlink(shutil.which('gcc'), str(bindir / 'gcc'))
    r = subprocess.run(
        [
            sys.executable,
            os.path.join(TOP, 'tools', 'xenabi', 'gen.py'),
            '--deps',
            os.path.join(TOP, '.deps', 'pkg'),
            '--out',
            str(tmp_path / 'out'),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=str(bindir)),
    )
    assert r.returncode == 1
    assert r.stderr == (
        'xenabi: aarch64-linux-gnu-gcc not found (the aarch64 preprocessor): '
        'tools/deps.sh installs gcc-aarch64-linux-gnu\n'
    ), r.stderr
    assert not (tmp_path / 'out').exists()


def test_real_headers_parse_for_every_release_and_arch():
    rels = gen.releases(os.path.join(TOP, '.deps', 'pkg'))
    assert len(rels) >= 2
    for release, inc in rels:
        for arch in gen.ARCHES:
            pp, unit = gen.read_headers(inc, arch)
            assert len(unit.records) > 200
            assert 'struct xen_domctl_getdomaininfo' in unit.records


def test_missing_constants_stop_the_generator(tmp_path):
    inc = write(
        tmp_path, {'main.h': '#define XEN_DOMINF_dying (1U<<0)\n#define SHUTDOWN_poweroff 0\n'}
    )
    pp, unit = read(inc, 'x86_64')
    with pytest.raises(gen.GenError) as e:
        gen.constants(pp, unit)
    assert 'XEN_DOMINF_paused' in str(e.value) and 'XEN_DOMINF_dying,' not in str(e.value)


def test_expressions_use_the_grammar():
    assert cparse.evaluate('( 1U << 3 ) | 0x10') == 24
    assert cparse.evaluate('0 == 0') == 1
    assert cparse.evaluate('1 ? 2 : 3 ? 4 : 5') == 2
    assert cparse.evaluate('-7 / 2') == -3 and cparse.evaluate('-7 % 2') == -1  # C truncation
    assert cparse.evaluate('0x00041300 >= 0x00030201 && !0') == 1
    with pytest.raises(cparse.ParseError):
        cparse.evaluate('"lx"')


def test_constant_values_of_expansions():
    # what gcc -E leaves of a #define: integer casts go, unsigned wraps
    assert cparse.constant('((uint32_t)(1U<<3))') == 8
    assert cparse.constant('( unsigned long )0x7FF0U') == 0x7FF0
    assert cparse.constant('(~0U)') == 0xFFFFFFFF and cparse.constant('(~0UL)') == (1 << 64) - 1
    assert cparse.constant('(-1)') == -1
    assert cparse.constant('') is None and cparse.constant('"lx"') is None
    assert cparse.constant('(domid_t)1') is None  # not an integer type the model knows
