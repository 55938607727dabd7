# SPDX-License-Identifier: MIT
"""Generates stubmon's hypercall layouts and constants from Xen's public
headers (host side, CPython + lark). For every release found as
<deps>/libxen-dev-<major>.<minor>/usr/include (Debian's) or as
<shared>/<major>.<minor>.<patch>/include (../shared/xen, tools/xenshared.py:
the releases Debian does not ship) and every arch:

    <out>/<arch>/xenabi_<arch>.py   the releases, their interface versions, the
                                    names and uctypes types every release shares
                                    (declared once) and each release's layouts,
                                    sizes and constants as one bytes object
    <out>/xenabi_sizes.h            for the C side (buffer sizes)

monitor/stubmon/abi.py decodes a release's bytes (FORMAT below) into the
uctypes descriptors, SIZE and CONST it hands out.

Usage: python3 tools/xenabi/gen.py --deps .deps/pkg [--shared ../shared/xen] --out build/xenabi
Files are only rewritten when their content changes.
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cparse  # noqa: E402
import preprocess  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
import xenshared  # noqa: E402

ARCHES = preprocess.ARCH_MACRO

# Headers read (relative to include/xen), in this order; the preprocessor
# follows their #includes (memory.h, grant_table.h, physdev.h, hvm/* give
# the sizes of the domctl and sysctl unions).
TOP_FILES = [
    'xen.h',
    'errno.h',
    'sysctl.h',
    'domctl.h',
    'version.h',
    'sched.h',
    'vcpu.h',
    'event_channel.h',
]

# Defined for the headers beside the compiler's own (gcc, gnu11, the arch):
# the tools interface, which also selects the latest interface version.
DEFINES = {'__XEN_TOOLS__': '1'}

# The layouts the monitor uses: struct name -> members emitted as opaque
# bytes (big unions whose members the monitor reads through other layouts).
STRUCTS = [
    ('xen_sysctl', ('u',)),
    ('xen_sysctl_getdomaininfolist', ()),
    ('xen_sysctl_physinfo', ()),
    ('xen_domctl', ('u',)),
    ('xen_domctl_getdomaininfo', ()),
    ('xen_domctl_createdomain', ()),
    ('xen_domctl_max_mem', ()),
    # issue 14: per-pCPU idle time, per-vCPU state, Xen's console ring
    ('xen_sysctl_getcpuinfo', ()),
    ('xen_sysctl_cpuinfo', ()),
    ('xen_domctl_getvcpuinfo', ()),
    ('xen_sysctl_readconsole', ()),
]
# ... and those only some releases have (4.21: get_domain_state), emitted
# where the headers define them
OPTIONAL_STRUCTS = [('xen_domctl_get_domain_state', ())]
TYPEDEF_SIZES = ['domid_t', 'xen_domain_handle_t', 'xen_extraversion_t']

# Constants: exact names and name prefixes (integer #defines only).
CONST_NAMES = [
    'XEN_SYSCTL_INTERFACE_VERSION',
    'XEN_DOMCTL_INTERFACE_VERSION',
    'XEN_SYSCTL_getdomaininfolist',
    'XEN_SYSCTL_physinfo',
    'XEN_SYSCTL_getcpuinfo',
    'XEN_SYSCTL_readconsole',
    'XEN_DOMCTL_getvcpuinfo',
    'XEN_DOMCTL_createdomain',
    'XEN_DOMCTL_destroydomain',
    'XEN_DOMCTL_pausedomain',
    'XEN_DOMCTL_unpausedomain',
    'XEN_DOMCTL_getdomaininfo',
    'XEN_DOMCTL_max_mem',
    'XEN_DOMCTL_max_vcpus',
    'DOMID_FIRST_RESERVED',
    'DOMID_SELF',
    'DOMID_IDLE',
    'XENVER_version',
    'XENVER_extraversion',
]
CONST_PREFIXES = ['XEN_DOMINF_', 'SHUTDOWN_', 'XEN_DOMCTL_CDF_', 'XEN_DOMCTL_GETDOMSTATE_']
# Not in every release: DOMID_ANY (4.22: createdomain's "pick one"),
# get_domain_state (4.21); taken where defined, never required.
CONST_NAMES_OPTIONAL = ['DOMID_ANY', 'DOMID_INVALID', 'XEN_DOMCTL_get_domain_state']
# ... of which the monitor needs at least these (a missing one stops the build)
CONST_NAMES += [
    'XEN_DOMINF_' + n
    for n in (
        'dying',
        'hvm_guest',
        'shutdown',
        'paused',
        'blocked',
        'running',
        'debugged',
        'xs_domain',
        'hap',
        'shutdownmask',
        'shutdownshift',
    )
]
CONST_NAMES += [
    'SHUTDOWN_' + n for n in ('poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset')
]
CONST_NAMES += ['XEN_DOMCTL_CDF_hvm', 'XEN_DOMCTL_CDF_hap']

# uctypes' encoding (extmod/moductypes.c): type in the top bits of a 31-bit
# small int, offset in the low 17 bits; bit-fields add position and length.
UC_TYPE = {
    (1, False): 0 << 27,
    (1, True): 1 << 27,
    (2, False): 2 << 27,
    (2, True): 3 << 27,
    (4, False): 4 << 27,
    (4, True): 5 << 27,
    (8, False): 6 << 27,
    (8, True): 7 << 27,
}
UC_BF = {1: 8 << 27, 2: 10 << 27, 4: 12 << 27}
UC_ARRAY = -(1 << 30)  # TYPE2SMALLINT(ARRAY, AGG_TYPE_BITS)
UC_BF_POS, UC_BF_LEN = 17, 22
UC_OFFSET_MASK = (1 << 17) - 1


class GenError(Exception):
    pass


def releases(deps, shared=None):
    """[((major, minor), include dir)]: Debian's libxen-dev-X.Y under deps,
    then the releases under `shared` (a directory like ../shared/xen) that
    Debian's do not already give."""
    out = []
    for d in sorted(os.listdir(deps)):
        m = re.match(r'libxen-dev-(\d+)\.(\d+)$', d)
        if m and os.path.isdir(os.path.join(deps, d, 'usr', 'include', 'xen')):
            out.append(
                ((int(m.group(1)), int(m.group(2))), os.path.join(deps, d, 'usr', 'include'))
            )
    have = set(r for r, _ in out)
    if shared:
        for ver, path in xenshared.releases(shared).items():
            r = tuple(int(x) for x in ver.split('.'))
            if r not in have:
                out.append((r, os.path.join(path, 'include')))
    return sorted(out)


# Per-release bounds the monitor never reads (4.22 moved XEN_DOMCTL_CDF_MAX):
# left out so that every generated constant means the same in each release.
CONST_SKIP = ['XEN_DOMCTL_CDF_MAX']


def wanted_constant(name):
    if name in CONST_SKIP:
        return False
    return (
        name in CONST_NAMES
        or name in CONST_NAMES_OPTIONAL
        or any(name.startswith(p) for p in CONST_PREFIXES)
    )


def read_headers(include_dir, arch):
    """(preprocess.Headers, cparse.Unit) for one release and arch."""
    pp = preprocess.run(include_dir, arch, TOP_FILES, DEFINES, wanted_constant)
    return pp, cparse.parse(pp)


def scalar_code(t, where):
    t = cparse.strip(t)
    if isinstance(t, cparse.Ptr):
        return UC_TYPE[(8, False)]
    if isinstance(t, cparse.Prim):
        return UC_TYPE[(t.size, t.signed)]
    raise GenError('%s: no uctypes scalar for %r' % (where, t))


def descriptor(rec, opaque=()):
    """uctypes descriptor of a record: dict name -> int or tuple."""
    lay = cparse.layout(rec)
    d = {}
    for f in lay.fields:
        t = cparse.strip(f.type)
        if f.width is not None:
            s, _ = cparse.size_align(t)
            d[f.name] = f.offset | UC_BF[s] | f.bitpos << UC_BF_POS | f.width << UC_BF_LEN
        elif f.name in opaque:
            d[f.name] = (f.offset | UC_ARRAY, cparse.size_align(t)[0] | UC_TYPE[(1, False)])
        elif isinstance(t, cparse.Rec):
            d[f.name] = (f.offset, descriptor(t))
        elif isinstance(t, cparse.Arr):
            e = cparse.strip(t.elem)
            if isinstance(e, cparse.Rec):
                d[f.name] = (f.offset | UC_ARRAY, t.n or 0, descriptor(e))
            else:
                d[f.name] = (f.offset | UC_ARRAY, (t.n or 0) | scalar_code(e, rec.where))
        else:
            d[f.name] = f.offset | scalar_code(t, rec.where)
    return d


def has_record(unit, name):
    try:
        find_record(unit, name)
        return True
    except GenError:
        return False


def find_record(unit, name):
    for kind in ('struct', 'union'):
        r = unit.records.get('%s %s' % (kind, name))
        if r is not None and r.members is not None:
            return r, '%s %s' % (kind, name)
    t = unit.typedefs.get(name)
    if isinstance(cparse.strip(t), cparse.Rec):
        return cparse.strip(t), name
    raise GenError('no struct %s in the headers' % name)


def constants(pp, unit):
    out = {}
    for name, text in pp.expansions.items():
        v = cparse.constant(text)
        if v is not None:
            out[name] = v
    missing = [n for n in CONST_NAMES if n not in out]
    if missing:
        raise GenError('constants missing from the headers: %s' % ', '.join(missing))
    return out


def errnos(unit):
    out = {}
    for n, v in unit.enum_values.items():  # definition order: first name wins
        if n.startswith('XEN_E'):
            out.setdefault(v, n[4:])
    return out


def gdi_signature(mod):
    # what must be equal for two releases to share the listing code path
    return (
        mod['SIZE']['xen_sysctl'],
        mod['SIZE']['xen_domctl'],
        repr(sorted(mod['layouts']['xen_domctl_getdomaininfo'].items())),
        repr(sorted(mod['layouts']['xen_sysctl_getdomaininfolist'].items())),
        mod['SIZE']['xen_domctl_getdomaininfo'],
    )


def generate(release, include_dir, arch):
    pp, unit = read_headers(include_dir, arch)
    layouts, sizes, ctypes = {}, {}, {}
    structs = STRUCTS + [s for s in OPTIONAL_STRUCTS if has_record(unit, s[0])]
    fields = {}  # (struct, member): (offset, size) of the members C reads
    for name, opaque in structs:
        rec, cname = find_record(unit, name)
        layouts[name] = descriptor(rec, opaque)
        sizes[name] = cparse.layout(rec).size
        ctypes[name] = cname
        for f in cparse.layout(rec).fields:
            if (name, f.name) in C_FIELDS:
                fields[(name, f.name)] = (f.offset, cparse.size_align(cparse.strip(f.type))[0])
    for name in TYPEDEF_SIZES:
        sizes[name] = cparse.size_align(unit.typedefs[name])[0]
    return {
        'release': release,
        'arch': arch,
        'layouts': layouts,
        'SIZE': sizes,
        'CTYPE': ctypes,
        'CONST': constants(pp, unit),
        'ERRNO': errnos(unit),
        'FIELDS': fields,
    }


# What port-xen/modxen.c checks itself before XEN_SYSCTL_getdomaininfolist
# (xenabi_sizes.h): the members it reads or writes in a xen_sysctl, macro
# name -> (struct, member, its size in bytes). They must sit at the same
# place in every release of an arch (the build stops otherwise).
C_GDIL = [
    ('XENABI_SYSCTL_CMD', 'xen_sysctl', 'cmd', 4),
    ('XENABI_SYSCTL_VERSION', 'xen_sysctl', 'interface_version', 4),
    ('XENABI_GDIL_FIRST_DOMAIN', 'xen_sysctl_getdomaininfolist', 'first_domain', 2),
    ('XENABI_GDIL_MAX_DOMAINS', 'xen_sysctl_getdomaininfolist', 'max_domains', 4),
    ('XENABI_GDIL_BUFFER', 'xen_sysctl_getdomaininfolist', 'buffer', 8),
    ('XENABI_GDIL_NUM_DOMAINS', 'xen_sysctl_getdomaininfolist', 'num_domains', 4),
]
C_FIELDS = set((st, m) for _, st, m, _ in C_GDIL) | {('xen_sysctl', 'u')}


def record_sizes(mods):
    """{sysctl interface version: sizeof(xen_domctl_getdomaininfo)} over
    the generated releases: the size of the record getdomaininfolist
    writes per domain. A version whose releases disagree is left out (its
    record size is not known: listed one record per call)."""
    seen = {}
    for m in mods:
        v = m['CONST']['XEN_SYSCTL_INTERFACE_VERSION']
        seen.setdefault(v, set()).add(m['SIZE']['xen_domctl_getdomaininfo'])
    return dict((v, s.pop()) for v, s in seen.items() if len(s) == 1)


def gdil_offsets(mods):
    """[(macro, offset in a xen_sysctl)] of C_GDIL, the same in every
    release of the arch, and XEN_SYSCTL_getdomaininfolist."""
    out = []
    for macro, st, member, size in C_GDIL:
        at = set()
        for m in mods:
            off, got = m['FIELDS'][(st, member)]
            if got != size:
                raise GenError(
                    'Xen %d.%d: %s.%s is %d bytes, modxen.c expects %d'
                    % (m['release'] + (st, member, got, size))
                )
            if st != 'xen_sysctl':
                off += m['FIELDS'][('xen_sysctl', 'u')][0]
            at.add(off)
        if len(at) != 1:
            raise GenError(
                '%s.%s moved between releases (%s): modxen.c reads it at one offset'
                % (st, member, ', '.join('%d' % a for a in sorted(at)))
            )
        out.append((macro + '_AT', at.pop()))
    cmd = set(m['CONST']['XEN_SYSCTL_getdomaininfolist'] for m in mods)
    if len(cmd) != 1:
        raise GenError('XEN_SYSCTL_getdomaininfolist differs between releases')
    out.append(('XENABI_SYSCTL_getdomaininfolist', cmd.pop()))
    return out


# The layouts as data. Per arch one module, xenabi_<arch>.py, declares once
# what every release shares: NAMES (every struct, member, typedef and
# constant name, and the errno names where releases differ) and SHAPES
# (every uctypes type a member has: its descriptor value at offset 0, None
# standing for a nested struct's descriptor; the scalars' ints first).
# Each release is then one bytes object in LAYOUTS, its data only, in this
# format (a name or shape is its index in NAMES or SHAPES, one byte; a
# number of w bytes is little-endian, w = 1, 2 or 4):
#
#   FORMAT, major, minor, w (of every member offset)
#   SIZE     a table: struct and typedef name -> sizeof
#   CONST    a table: constant name -> value
#   ERRNO    a table: errno name -> value (n = 0: the index's ERRNO, the
#            same in every release)
#   structs  n, then n times: the struct's name, its record
#
#   table    n, w, n names, n values of w bytes
#   record   n, s, g, n member names, n offsets, g groups of members of
#            one shape in member order (the shape, how many members; the
#            first s groups scalars), then the record of each member
#            whose shape ends in None, in member order
#
# monitor/stubmon/abi.py decodes it (abi.Layouts) into the descriptors,
# SIZE, CONST and ERRNO that a generated module of Python literals held
# before: equal, checked by tests/unit/test_abi_offsets.py. Its decoding
# runs once per release at boot: it reads bytes and ints, never builds a
# string (each new string costs a search of every qstr in the image).
FORMAT = 1
_WIDTH = {1: 0x100, 2: 0x10000, 4: 1 << 32}


def split_value(v):
    """A descriptor value -> (its shape, its offset, its nested descriptor
    or None)."""
    if isinstance(v, int):
        return v & ~UC_OFFSET_MASK, v & UC_OFFSET_MASK, None
    if isinstance(v[-1], dict):
        return (v[0] & ~UC_OFFSET_MASK,) + v[1:-1] + (None,), v[0] & UC_OFFSET_MASK, v[-1]
    return (v[0] & ~UC_OFFSET_MASK,) + v[1:], v[0] & UC_OFFSET_MASK, None


def shape_order(shape):
    # scalars first, then arrays and nested structs
    return (not isinstance(shape, int), repr(shape))


def shared_names(mods, shared_errno):
    """(NAMES, SHAPES) of an arch: what its releases' layouts refer to."""
    names, shapes = set(), set()

    def walk(desc):
        for k, v in desc.items():
            names.add(k)
            shape, _, sub = split_value(v)
            shapes.add(shape)
            if sub is not None:
                walk(sub)

    for m in mods:
        names.update(m['SIZE'])
        names.update(m['layouts'])
        names.update(m['CONST'])
        if not shared_errno:
            names.update(m['ERRNO'].values())
        for desc in m['layouts'].values():
            walk(desc)
    if len(names) > 256 or len(shapes) > 256:
        raise GenError(
            '%d names, %d shapes: the layouts index each with one byte (256 at most)'
            % (len(names), len(shapes))
        )
    return tuple(sorted(names)), tuple(sorted(shapes, key=shape_order))


def _count(n, what):
    if n > 255:
        raise GenError('%d %s: the layouts count them in one byte' % (n, what))
    return bytes([n])


def width(values, what):
    """Bytes a value for these values: 1, 2 or 4."""
    if values and min(values) < 0:
        raise GenError('%s: negative value %d' % (what, min(values)))
    top = max(values) if values else 0
    if top >= _WIDTH[4]:
        raise GenError('%s: value %d past 32 bits' % (what, top))
    return min(w for w, lim in _WIDTH.items() if top < lim)


def _numbers(values, w):
    return b''.join(v.to_bytes(w, 'little') for v in values)


def encode_table(items, index, what):
    """items: [(name, value)] -> the table's bytes."""
    vals = [v for _, v in items]
    w = width(vals, what)
    return (
        _count(len(items), what)
        + bytes([w])
        + bytes(index[k] for k, _ in items)
        + _numbers(vals, w)
    )


def _offsets(desc):
    out = []
    for v in desc.values():
        _, off, sub = split_value(v)
        out.append(off)
        if sub is not None:
            out += _offsets(sub)
    return out


def encode_record(desc, index, shape_index, w, scalars):
    # members grouped by shape (in SHAPES order: scalars first), each group
    # in offset order, then by name: the same bytes from the same layout
    items = []
    for k, v in desc.items():
        shape, off, sub = split_value(v)
        items.append((shape_index[shape], off, k, sub))
    items.sort(key=lambda m: m[:3])
    groups = []
    for s, _, _, _ in items:
        if groups and groups[-1][0] == s and groups[-1][1] < 255:
            groups[-1][1] += 1
        else:
            groups.append([s, 1])
    return (
        _count(len(items), 'members')
        + bytes([sum(1 for s, _ in groups if s < scalars)])
        + _count(len(groups), 'shape groups')
        + bytes(index[k] for _, _, k, _ in items)
        + _numbers([off for _, off, _, _ in items], w)
        + b''.join(bytes(g) for g in groups)
        + b''.join(
            encode_record(sub, index, shape_index, w, scalars)
            for _, _, _, sub in items
            if sub is not None
        )
    )


def encode(mod, names, shapes, shared_errno):
    """One release's layouts as bytes (FORMAT above)."""
    index = dict((n, i) for i, n in enumerate(names))
    shape_index = dict((s, i) for i, s in enumerate(shapes))
    scalars = sum(1 for s in shapes if isinstance(s, int))
    major, minor = mod['release']
    if major > 255 or minor > 255:
        raise GenError('release %d.%d: past one byte' % mod['release'])
    structs = [s for s, _ in STRUCTS + OPTIONAL_STRUCTS if s in mod['layouts']]
    w = width(sum((_offsets(mod['layouts'][s]) for s in structs), []), 'member offsets')
    errno = [] if shared_errno else sorted((n, v) for v, n in mod['ERRNO'].items())
    out = bytes([FORMAT, major, minor, w])
    out += encode_table(sorted(mod['SIZE'].items()), index, 'sizes')
    out += encode_table(sorted(mod['CONST'].items()), index, 'constants')
    out += encode_table(errno, index, 'errno names')
    out += _count(len(structs), 'structs')
    for s in structs:
        out += bytes([index[s]]) + encode_record(mod['layouts'][s], index, shape_index, w, scalars)
    return out


def errno_source(errno):
    return '{%s}' % ', '.join('%d: %r' % kv for kv in sorted(errno.items()))


def index_source(arch, mods, origins=None):
    sigs = []
    gdi = {}
    for m in mods:
        s = gdi_signature(m)
        if s not in sigs:
            sigs.append(s)
        gdi[m['release']] = sigs.index(s)
    shared_errno = all(m['ERRNO'] == mods[0]['ERRNO'] for m in mods)
    names, shapes = shared_names(mods, shared_errno)
    lines = [
        '# Generated by tools/xenabi/gen.py: the layouts of Xen\'s hypercalls for',
        '# %s, from each release\'s public headers:' % arch,
    ]
    for m in mods:
        lines.append('#   %d.%d: %s' % (m['release'] + ((origins or {}).get(m['release'], ''),)))
    lines += [
        '# Do not edit: `make` rebuilds it; not committed. Read by monitor/stubmon/abi.py.',
        '# The releases whose layouts exist, oldest first.',
        'RELEASES = (%s,)' % ', '.join('(%d, %d)' % m['release'] for m in mods),
        '# (sysctl, domctl) interface versions from each release\'s headers',
        'VERSIONS = {%s}'
        % ', '.join(
            '(%d, %d): (0x%02x, 0x%02x)'
            % (
                m['release']
                + (
                    m['CONST']['XEN_SYSCTL_INTERFACE_VERSION'],
                    m['CONST']['XEN_DOMCTL_INTERFACE_VERSION'],
                )
            )
            for m in mods
        ),
        '# equal numbers: identical sysctl/domctl headers and getdomaininfo(list) layouts',
        'GDI_LAYOUT = {%s}'
        % ', '.join('(%d, %d): %d' % (m['release'] + (gdi[m['release']],)) for m in mods),
        '# sysctl interface version: sizeof(xen_domctl_getdomaininfo), the record',
        '# getdomaininfolist writes per domain (xenabi_sizes.h gives C the same);',
        '# a version not here lists one record per call',
        'RECORD_SIZE = {%s}'
        % ', '.join('0x%02x: %d' % kv for kv in sorted(record_sizes(mods).items())),
    ]
    if shared_errno:
        lines.append('# errno names (xen/errno.h), the same in every release')
        lines.append('ERRNO = %s' % errno_source(mods[0]['ERRNO']))
    lines += [
        '# Declared once for every release: the names of structs, members, typedefs',
        '# and constants (a list, not a tuple: its strings are then qstrs, as the',
        '# keys of a dict literal are, where a constant tuple would hold str',
        '# objects), and the uctypes types of members (a descriptor value at',
        '# offset 0; None: a nested struct\'s descriptor). LAYOUTS refer to them',
        '# by index.',
        'NAMES = [%s]' % ', '.join(repr(n) for n in names),
        'SHAPES = (%s,)' % ', '.join(repr(s) for s in shapes),
        '# Each release\'s layouts, sizes and constants, in RELEASES order (format:',
        '# tools/xenabi/gen.py, FORMAT %d)' % FORMAT,
        'LAYOUTS = (%s,)' % ', '.join(repr(encode(m, names, shapes, shared_errno)) for m in mods),
    ]
    return '\n'.join(lines) + '\n'


def sizes_header(all_mods):
    lines = [
        '/* Generated by tools/xenabi/gen.py. Do not edit. The largest',
        ' * xen_sysctl and xen_domctl over every generated release, per arch:',
        ' * what a hypercall buffer from Python must hold at least. */',
        '#ifndef XENABI_SIZES_H',
        '#define XENABI_SIZES_H',
    ]
    for arch, macro in sorted(ARCHES.items()):
        mods = all_mods.get(arch)
        if not mods:
            continue
        lines.append('#if defined(%s)' % macro)
        lines.append('#define XENABI_SYSCTL_SIZE %d' % max(m['SIZE']['xen_sysctl'] for m in mods))
        lines.append('#define XENABI_DOMCTL_SIZE %d' % max(m['SIZE']['xen_domctl'] for m in mods))
        lines.append('/* XEN_SYSCTL_getdomaininfolist, checked by modxen.c before Xen')
        lines.append(' * writes: where its fields are in a xen_sysctl (the same in every')
        lines.append(' * release), and per sysctl interface version the size of the record')
        lines.append(' * it writes per domain. A version not listed has no known record')
        lines.append(' * size: one record per call only. */')
        for macro, v in gdil_offsets(mods):
            lines.append('#define %s %d' % (macro, v))
        lines.append(
            '#define XENABI_GDIL_RECORDS %s'
            % ', '.join('{ 0x%02x, %d }' % kv for kv in sorted(record_sizes(mods).items()))
        )
        lines.append('#endif')
    lines.append('#endif')
    return '\n'.join(lines) + '\n'


def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.%d.tmp' % (path, os.getpid())  # concurrent makes must not collide
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def remove_stale(folder, arch):
    """Delete the per-release modules an older generator wrote
    (xenabi_<major>_<minor>_<arch>.py): the image freezes every module in
    the folder, and every release's layouts are now in xenabi_<arch>.py."""
    n = 0
    for f in os.listdir(folder):
        if re.match(r'xenabi_\d+_\d+_%s\.py$' % arch, f):
            os.remove(os.path.join(folder, f))
            n += 1
    return n


def origin_of(deps, release, include_dir):
    # the exact package version, when tools/deps.sh recorded it; for a
    # release from ../shared/xen its directory and the tag's commit
    top = os.path.dirname(include_dir)
    if os.path.exists(os.path.join(top, 'COMMIT')):
        with open(os.path.join(top, 'COMMIT')) as f:
            return 'Xen %s, commit %s' % (os.path.basename(top), f.read().strip()[:12])
    vfile = os.path.join(os.path.dirname(deps), 'versions.txt')
    if os.path.exists(vfile):
        with open(vfile) as f:
            for line in f:
                if 'libxen-dev' in line and ('%d.%d' % release) in line:
                    return line.strip()
    return 'libxen-dev %d.%d' % release


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--deps', required=True, help='directory holding libxen-dev-X.Y/')
    ap.add_argument('--shared', help='directory holding X.Y.Z/include (../shared/xen)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--arch', action='append', help='default: all of ' + ', '.join(sorted(ARCHES)))
    args = ap.parse_args(argv)
    rels = releases(args.deps, args.shared)
    if not rels:
        raise SystemExit(
            'xenabi: no libxen-dev-X.Y headers under %s (run tools/deps.sh)' % args.deps
        )
    arches = args.arch or sorted(ARCHES)
    for arch in arches:
        if arch not in ARCHES:
            raise SystemExit(
                'xenabi: unknown arch %s (known: %s)' % (arch, ', '.join(sorted(ARCHES)))
            )
        try:
            preprocess.compiler(arch)
        except preprocess.PreprocessError as e:
            raise SystemExit('xenabi: %s' % e)
    all_mods = {}
    changed = 0
    for arch in arches:
        mods = []
        for release, inc in rels:
            try:
                mods.append(generate(release, inc, arch))
            except (preprocess.PreprocessError, cparse.ParseError, GenError) as e:
                raise SystemExit('xenabi: Xen %d.%d %s: %s' % (release + (arch, e)))
        origins = dict((r, origin_of(args.deps, r, inc)) for r, inc in rels)
        try:
            text = index_source(arch, mods, origins)
        except GenError as e:
            raise SystemExit('xenabi: %s: %s' % (arch, e))
        changed += write_if_changed(os.path.join(args.out, arch, 'xenabi_%s.py' % arch), text)
        changed += remove_stale(os.path.join(args.out, arch), arch)
        all_mods[arch] = mods
    changed += write_if_changed(os.path.join(args.out, 'xenabi_sizes.h'), sizes_header(all_mods))
    print(
        'xenabi: %s for %s, %d file(s) changed'
        % (', '.join('%d.%d' % r for r, _ in rels), ', '.join(sorted(all_mods)), changed)
    )


if __name__ == '__main__':
    main()
