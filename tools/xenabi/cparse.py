# SPDX-License-Identifier: MIT
"""Parse preprocessed Xen headers with the lark grammar (c.lark) and lay
the types out by the C ABI of an LP64 little-endian arch (x86_64, aarch64:
the SysV and AAPCS64 rules agree for every type these headers use)."""

import os
import re

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedInput, VisitError

HERE = os.path.dirname(os.path.abspath(__file__))


class ParseError(Exception):
    """'file:line: message'"""


_parser = None


def parser():
    global _parser
    if _parser is None:
        with open(os.path.join(HERE, 'c.lark')) as f:
            _parser = Lark(
                f.read(),
                parser='lalr',
                propagate_positions=True,
                start=['start', 'expr'],
                maybe_placeholders=False,
            )
    return _parser


# --- types ------------------------------------------------------------------
class Prim:
    def __init__(self, name, size, signed):
        self.name, self.size, self.align, self.signed = name, size, size, signed

    def __repr__(self):
        return self.name


class Ptr:
    size = align = 8

    def __init__(self, target):
        self.target = target


class Arr:
    def __init__(self, elem, n):
        self.elem, self.n = elem, n  # n None: flexible array member


class Aligned:
    """A typedef with __attribute__((aligned(N)))."""

    def __init__(self, base, align):
        self.base, self.align_ = base, align


class Rec:
    def __init__(self, kind, tag, where):
        self.kind, self.tag, self.where = kind, tag, where
        self.members = None  # None: declared, not (yet) defined
        self.packed = False
        self.align_attr = 0
        self._layout = None


class Member:
    def __init__(self, name, type_, bits, align_attr, where):
        self.name, self.type, self.bits, self.align_attr, self.where = (
            name,
            type_,
            bits,
            align_attr,
            where,
        )


PRIMS = {}
for _n, _s, _sg in (
    ('char', 1, True),
    ('signed char', 1, True),
    ('unsigned char', 1, False),
    ('short', 2, True),
    ('unsigned short', 2, False),
    ('int', 4, True),
    ('unsigned int', 4, False),
    ('long', 8, True),
    ('unsigned long', 8, False),
    ('long long', 8, True),
    ('unsigned long long', 8, False),
    ('_Bool', 1, False),
    ('void', 1, False),
):
    PRIMS[_n] = Prim(_n, _s, _sg)
STDINT = {
    'uint8_t': 'unsigned char',
    'int8_t': 'signed char',
    'uint16_t': 'unsigned short',
    'int16_t': 'short',
    'uint32_t': 'unsigned int',
    'int32_t': 'int',
    'uint64_t': 'unsigned long',
    'int64_t': 'long',
    'uintptr_t': 'unsigned long',
    'intptr_t': 'long',
    'size_t': 'unsigned long',
}


def canonical(words):
    w = [x for x in words if x not in ('const', 'volatile', 'signed') or len(words) == 1]
    if 'signed' in words and 'char' in words:
        w = ['signed'] + w
    if 'unsigned' in w:
        rest = [x for x in w if x != 'unsigned']
        rest = [x for x in rest if x != 'int'] or ['int']
        name = 'unsigned ' + ' '.join(rest)
    else:
        if 'int' in w and len(w) > 1:
            w = [x for x in w if x != 'int']
        name = ' '.join(w) if w else 'int'
    if name == 'signed':
        name = 'int'
    return name


def size_align(t):
    if isinstance(t, Prim) or isinstance(t, Ptr):
        return t.size, t.align
    if isinstance(t, Aligned):
        s, _ = size_align(t.base)
        return s, t.align_
    if isinstance(t, Arr):
        s, a = size_align(t.elem)
        return s * (t.n or 0), a
    if isinstance(t, Rec):
        lay = layout(t)
        return lay.size, lay.align
    raise TypeError(t)


def strip(t):
    while isinstance(t, Aligned):
        t = t.base
    return t


class Field:
    """One laid-out member: byte offset, and for bit-fields the bit
    position inside the byte-aligned unit at offset and the width."""

    def __init__(self, name, type_, offset, bitpos=None, width=None):
        self.name, self.type, self.offset, self.bitpos, self.width = (
            name,
            type_,
            offset,
            bitpos,
            width,
        )


class Layout:
    def __init__(self, size, align, fields):
        self.size, self.align, self.fields = (
            size,
            align,
            fields,
        )  # fields: anonymous members flattened


def roundup(x, a):
    return (x + a - 1) // a * a


def layout(rec):
    if rec._layout is not None:
        return rec._layout
    if rec.members is None:
        raise ParseError(
            '%s: %s %s is declared but never defined' % (rec.where, rec.kind, rec.tag)
        )
    bit = 0
    align = 1
    end = 0
    fields = []
    for m in rec.members:
        try:
            s, a = size_align(m.type)
        except ParseError as e:
            raise ParseError('%s: member %s: %s' % (m.where, m.name, e))
        if rec.packed:
            a = 1
        a = max(a, m.align_attr)
        if rec.kind == 'union':
            bit = 0
        if m.bits is not None:
            w = m.bits
            unit = s * 8
            if w == 0:
                bit = roundup(bit, a * 8)
                continue
            if bit % unit + w > unit and not rec.packed:
                bit = roundup(bit, unit)
            start = bit // unit * s if not rec.packed else bit // 8
            fields.append(Field(m.name, m.type, start, bit - start * 8, w))
            bit += w
            align = max(align, a)
        else:
            off = roundup((bit + 7) // 8, a)
            if m.name is None:
                sub = layout(strip(m.type))
                for f in sub.fields:
                    fields.append(Field(f.name, f.type, off + f.offset, f.bitpos, f.width))
            else:
                fields.append(Field(m.name, m.type, off))
            bit = (off + s) * 8
            align = max(align, a)
        end = max(end, (bit + 7) // 8)
    align = max(align, rec.align_attr)
    rec._layout = Layout(roundup(end, align), align, fields)
    return rec._layout


# --- the parse tree to types ---------------------------------------------------
class Decl:
    def __init__(self, name, ptr, dims, bits, attrs, where):
        self.name, self.ptr, self.dims, self.bits, self.attrs, self.where = (
            name,
            ptr,
            dims,
            bits,
            attrs,
            where,
        )


class Attr:
    def __init__(self, name, value):
        self.name, self.value = name.strip('_'), value


def aligned_of(attrs):
    a = 0
    for x in attrs:
        if isinstance(x, Attr) and x.name == 'aligned':
            a = max(a, x.value if x.value is not None else 16)
    return a


class Unit:
    """Everything one header set declares, for one (release, arch)."""

    def __init__(self):
        self.typedefs = dict((k, PRIMS[v]) for k, v in STDINT.items())
        self.records = {}  # 'struct tag' / 'union tag' -> Rec
        self.enum_values = {}
        self.record_typedef = {}  # Rec -> first typedef name (anonymous records)


@v_args(meta=True)
class Build(Transformer):
    def __init__(self, unit, where_of):
        super().__init__()
        self.u = unit
        self.where_of = where_of

    def w(self, meta):
        return self.where_of(getattr(meta, 'line', 0))

    # expressions
    def num(self, meta, c):
        return c_int(str(c[0]))

    def ident(self, meta, c):
        name = str(c[0])
        if name in self.u.enum_values:
            return self.u.enum_values[name]
        raise ParseError('%s: %s is not an integer constant' % (self.w(meta), name))

    def sizeof(self, meta, c):
        words = [x for x in c if isinstance(x, str) and x != '*']
        if any(str(x) == '*' for x in c):
            return 8
        return size_align(self.resolve(words, [], meta))[0]

    def binop(self, meta, c):
        a, op, b = c
        op = str(op)
        if op in ('/', '%'):
            if b == 0:
                raise ParseError('%s: division by zero' % self.w(meta))
            q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # C truncates
            return q if op == '/' else a - q * b
        return {
            '<<': a << b,
            '>>': a >> b,
            '+': a + b,
            '-': a - b,
            '*': a * b,
            '==': int(a == b),
            '!=': int(a != b),
            '<': int(a < b),
            '>': int(a > b),
            '<=': int(a <= b),
            '>=': int(a >= b),
        }[op]

    def op_lor(self, meta, c):
        return int(bool(c[0] or c[1]))

    def op_land(self, meta, c):
        return int(bool(c[0] and c[1]))

    def op_cond(self, meta, c):
        return c[1] if c[0] else c[2]

    def op_or(self, meta, c):
        return c[0] | c[1]

    def op_xor(self, meta, c):
        return c[0] ^ c[1]

    def op_and(self, meta, c):
        return c[0] & c[1]

    def unop(self, meta, c):
        op, v = str(c[0]), c[1]
        return {'-': -v, '+': v, '~': ~v, '!': int(not v)}[op]

    # attributes and declarators
    def attr_item(self, meta, c):
        return Attr(str(c[0]), c[1] if len(c) > 1 else None)

    def attr(self, meta, c):
        return c

    def array(self, meta, c):
        return ('dim', c[0] if c else None)

    def bits(self, meta, c):
        return ('bits', c[0])

    def declarator(self, meta, c):
        ptr = sum(1 for x in c if getattr(x, 'type', None) == 'STAR')
        name = next(str(x) for x in c if getattr(x, 'type', None) == 'NAME')
        return self._decl(name, ptr, c, meta)

    def _decl(self, name, ptr, c, meta):
        dims = [x[1] for x in c if isinstance(x, tuple) and x[0] == 'dim']
        bits = [x[1] for x in c if isinstance(x, tuple) and x[0] == 'bits']
        attrs = [a for x in c if isinstance(x, list) for a in x]
        return Decl(name, ptr, dims, bits[0] if bits else None, attrs, self.w(meta))

    def declarators(self, meta, c):
        return c

    def word(self, meta, c):
        return str(c[0])

    def tail_named(self, meta, c):
        return ('named', c, meta)

    def tail_pointer(self, meta, c):
        return ('pointer', c, meta)

    def simple_decl(self, meta, c):
        specs = []
        i = 0
        while i < len(c) and not (isinstance(c[i], tuple) and c[i][0] in ('named', 'pointer')):
            specs.append(c[i])
            i += 1
        kind, tail, tmeta = c[i]
        rest = c[i + 1 :]
        words = [str(s) for s in specs if isinstance(s, str)]
        attrs = [a for s in specs if isinstance(s, list) for a in s]
        if kind == 'named':
            if len(words) < 2:
                raise ParseError('%s: declaration of %s has no type' % (self.w(meta), words))
            first = self._decl(words[-1], 0, tail, tmeta)
            words = words[:-1]
        else:
            ptr = sum(1 for x in tail if getattr(x, 'type', None) == 'STAR')
            name = next(str(x) for x in tail if getattr(x, 'type', None) == 'NAME')
            first = self._decl(name, ptr, tail, tmeta)
        first.attrs = attrs + first.attrs
        base = self.resolve(words, attrs, meta)
        return ('decl', base, [first] + list(rest), meta)

    def resolve(self, words, attrs, meta):
        words = [x for x in words if x not in ('const', 'volatile')] or words
        if len(words) == 1 and words[0] in self.u.typedefs:
            return self.u.typedefs[words[0]]
        name = canonical(words)
        if name in PRIMS:
            return PRIMS[name]
        raise ParseError('%s: unknown type %s' % (self.w(meta), ' '.join(words)))

    # records and enums
    def record_ref(self, meta, c):
        kind = str(c[0])
        tag = str(c[-1])
        key = '%s %s' % (kind, tag)
        if key not in self.u.records:
            self.u.records[key] = Rec(kind, tag, self.w(meta))
        return self.u.records[key]

    def record_def(self, meta, c):
        kind = str(c[0])
        attrs = [a for x in c if isinstance(x, list) for a in x]
        tag = next((str(x) for x in c[1:] if getattr(x, 'type', None) == 'NAME'), None)
        if tag is not None:
            key = '%s %s' % (kind, tag)
            rec = self.u.records.get(key)
            if rec is None or rec.members is not None:
                rec = self.u.records[key] = Rec(kind, tag, self.w(meta))
        else:
            rec = Rec(kind, None, self.w(meta))
        rec.where = self.w(meta)
        rec.members = []
        for m in c:
            if isinstance(m, tuple) and m[0] == 'member':
                rec.members.extend(m[1])
        self._rec_attrs(rec, attrs)
        return rec

    def _rec_attrs(self, rec, attrs):
        for a in attrs:
            if a.name == 'packed':
                rec.packed = True
            elif a.name == 'aligned':
                rec.align_attr = max(rec.align_attr, a.value or 16)
            else:
                raise ParseError('%s: unsupported attribute %s' % (rec.where, a.name))

    def record_decl(self, meta, c):
        c = [x for x in c if getattr(x, 'type', None) != 'CONST']
        rec = c[0]
        attrs = [
            a for x in c[1:] if isinstance(x, list) and x and isinstance(x[0], Attr) for a in x
        ]
        decls = [x for x in c[1:] if isinstance(x, list) and x and isinstance(x[0], Decl)]
        if attrs and rec.members is not None:
            rec._layout = None
            self._rec_attrs(rec, attrs)
        return ('decl', rec, decls[0] if decls else [], meta)

    def enumerator(self, meta, c):
        return (str(c[0]), c[1] if len(c) > 1 else None)

    def enum_def(self, meta, c):
        v = 0
        for x in c:
            if isinstance(x, tuple):
                name, val = x
                if val is not None:
                    v = val
                self.u.enum_values[name] = v
                v += 1
        return PRIMS['unsigned int']

    def enum_ref(self, meta, c):
        return PRIMS['unsigned int']

    def enum_decl(self, meta, c):
        c = [x for x in c if getattr(x, 'type', None) != 'CONST']
        return ('decl', c[0], c[1] if len(c) > 1 else [], meta)

    def member(self, meta, c):
        _, base, decls, dmeta = c[0]
        out = []
        if not decls:
            if isinstance(base, Rec) and base.members is not None and base.tag is None:
                out.append(Member(None, base, None, 0, self.w(meta)))  # anonymous
            elif isinstance(base, Rec) and base.members is not None:
                pass  # a tagged definition inside a record: no member (GNU C)
            return ('member', out)
        for d in decls:
            out.append(Member(d.name, self.apply(base, d), d.bits, aligned_of(d.attrs), d.where))
        return ('member', out)

    def apply(self, base, d):
        t = base
        for _ in range(d.ptr):
            t = Ptr(t)
        for n in reversed(d.dims):
            t = Arr(t, n)
        return t

    def item(self, meta, c):
        typedef = getattr(c[0], 'type', None) == 'TYPEDEF'
        _, base, decls, dmeta = c[-1]
        if typedef:
            for d in decls:
                t = self.apply(base, d)
                a = aligned_of(d.attrs)
                if a:
                    t = Aligned(t, a)
                self.u.typedefs[d.name] = t
                if (
                    isinstance(base, Rec)
                    and base not in self.u.record_typedef
                    and not d.ptr
                    and not d.dims
                ):
                    self.u.record_typedef[base] = d.name
        return None

    def empty(self, meta, c):
        return None


def c_int(text):
    t = text.rstrip('uUlL')
    if t.lower().startswith('0x'):
        return int(t, 16)
    if len(t) > 1 and t.startswith('0'):
        return int(t, 8)
    return int(t)


INT_TYPES = (
    'int',
    'unsigned',
    'signed',
    'long',
    'short',
    'char',
    'uint8_t',
    'uint16_t',
    'uint32_t',
    'uint64_t',
    'int8_t',
    'int16_t',
    'int32_t',
    'int64_t',
    'xen_ulong_t',
)
# an integer cast such as (uint32_t) or (unsigned long): dropped before evaluating
INT_CAST = re.compile(r'\(\s*(?:\b(?:%s)\b\s*)+\)' % '|'.join(INT_TYPES))
NUM_SUFFIX = re.compile(r'\b(?:0[xX][0-9a-fA-F]+|[0-9]+)([uUlL]*)')


def constant(text):
    """Integer value of a #define's expansion, or None (empty, a string,
    anything but an integer constant expression)."""
    try:
        v = evaluate(INT_CAST.sub(' ', text))
    except ParseError:
        return None
    if v < 0:
        # ~0U and the like: unsigned (int, or long with an L) in C
        sufs = [s.lower() for s in NUM_SUFFIX.findall(text)]
        if any('u' in x for x in sufs):
            v &= (1 << (64 if any('l' in x for x in sufs) else 32)) - 1
    return v


def evaluate(text, unit=None):
    """Value of an integer constant expression (macros already expanded),
    parsed with the grammar's `expr` rule. ParseError if it is not one."""
    try:
        tree = parser().parse(text, start='expr')
    except UnexpectedInput as e:
        raise ParseError('not an integer expression: %s (%s)' % (text, type(e).__name__))
    try:
        return Build(unit or Unit(), lambda line: '<expr>').transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, ParseError):
            raise e.orig_exc
        raise


def skip_functions(lines):
    """Blanks `static inline` function definitions (bodies are code, not
    layout): from the line starting with `static` to its closing brace, or
    to its `;` for a prototype."""
    out = []
    depth = None
    for line in lines:
        if depth is None and line.startswith('static '):
            depth = 0
            seen = False
        if depth is None:
            out.append(line)
            continue
        depth += line.count('{') - line.count('}')
        seen = seen or '{' in line
        out.append('')
        if (seen and depth <= 0) or (not seen and line.rstrip().endswith(';')):
            depth = None  # end of the body, or a prototype without one
    return out


def parse(pp, unit=None):
    """pp: preprocess.Headers (lines .out from files .where); returns the Unit."""
    unit = unit or Unit()
    text = '\n'.join(skip_functions(pp.out)) + '\n'

    def where_of(line):
        if 1 <= line <= len(pp.where):
            f, n = pp.where[line - 1]
            return '%s:%d' % (f, n)
        return '<end>'

    try:
        tree = parser().parse(text, start='start')
    except UnexpectedInput as e:
        tok = getattr(e, 'token', None)
        what = ('unexpected %r' % str(tok)) if tok is not None else 'syntax error'
        if tok is not None and getattr(tok, 'type', '') == '$END':
            what = 'unexpected end of input'
        raise ParseError(
            '%s: %s (after expansion: %s)'
            % (where_of(e.line), what, pp.out[e.line - 1] if 0 < e.line <= len(pp.out) else '')
        )
    try:
        Build(unit, where_of).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, ParseError):
            raise e.orig_exc
        raise
    return unit


Build.simple_decl_attr = Build.simple_decl
