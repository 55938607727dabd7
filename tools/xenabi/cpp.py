"""A small C preprocessor for Xen's public headers (no cpp is run).

It handles what those headers use: comments, line continuations, object-
and function-like macros (#, ## and rescanning with hide sets),
#if/#ifdef/#ifndef/#elif/#else/#endif with integer expressions (evaluated
by the grammar's expression rules) and
defined(), #undef, #error, and #include of the files it is told to follow
(any other #include is skipped and recorded). The output is one text line
per source line (directives and inactive code blanked, macros expanded) plus
a map back to (file, line), so a parse error names the header and line.
"""
import os
import re
from collections import deque


class CppError(Exception):
    """Raised with 'file:line: message'."""


TOKEN_RE = re.compile(r'''
    (?P<ws>[ \t\f\v]+)
  | (?P<id>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<num>(?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<chr>'(?:[^'\\]|\\.)*')
  | (?P<punct>\#\#|<<=|>>=|\.\.\.|<<|>>|<=|>=|==|!=|&&|\|\||->|\+\+|--|[-+*/%&|^~!<>=?:;,.(){}\[\]\#])
  | (?P<other>.)
''', re.X)


class Tok:
    __slots__ = ('text', 'kind', 'hide')

    def __init__(self, text, kind, hide=frozenset()):
        self.text = text
        self.kind = kind
        self.hide = hide

    def __repr__(self):
        return 'Tok(%r)' % self.text


def tokenize(line, where=None):
    out = []
    for m in TOKEN_RE.finditer(line):
        kind = m.lastgroup
        if kind == 'ws':
            continue
        if kind == 'other':
            raise CppError('%s: unexpected character %r' % (where, m.group()))
        out.append(Tok(m.group(), kind))
    return out


def strip_comments(text):
    """Removes /* */ and // comments, keeping newlines (line numbers)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and i + 1 < n and text[i + 1] == '*':
            j = text.find('*/', i + 2)
            if j < 0:
                raise CppError('unterminated comment')
            out.append(' ' + '\n' * text.count('\n', i, j))
            i = j + 2
        elif c == '/' and i + 1 < n and text[i + 1] == '/':
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def logical_lines(text):
    """(first line number, text) for each line, continuations joined; the
    lines a continuation swallowed come back empty to keep the numbering."""
    lines = strip_comments(text).split('\n')
    out = []
    i = 0
    while i < len(lines):
        start = i
        buf = lines[i]
        while buf.endswith('\\') and i + 1 < len(lines):
            i += 1
            buf = buf[:-1] + ' ' + lines[i]
        out.append((start + 1, buf))
        for k in range(start + 1, i + 1):
            out.append((k + 1, ''))
        i += 1
    return out


class Macro:
    def __init__(self, name, params, body, variadic=False):
        self.name = name
        self.params = params      # None: object-like
        self.body = body          # list of Tok
        self.variadic = variadic


def c_int(text):
    t = text.rstrip('uUlL')
    if t.lower().startswith('0x'):
        return int(t, 16)
    if len(t) > 1 and t.startswith('0'):
        return int(t, 8)
    return int(t)


class Preprocessor:
    def __init__(self, include_dir, defines=None, follow=None):
        """include_dir: the directory holding xen/; defines: name -> value
        text (None: defined empty); follow: paths relative to include_dir
        that #include may enter (None: all)."""
        self.include_dir = include_dir
        self.macros = {}
        self.follow = follow
        self.skipped_includes = []
        self.out = []            # expanded text lines
        self.where = []          # (file, line) per output line
        self.entered = []
        for name, value in (defines or {}).items():
            self.macros[name] = Macro(name, None, tokenize(value or ''))

    # --- macro expansion --------------------------------------------------
    def expand(self, tokens, where):
        toks = deque(tokens)
        out = []
        while toks:
            t = toks.popleft()
            m = self.macros.get(t.text) if t.kind == 'id' else None
            if m is None or t.text in t.hide:
                out.append(t)
                continue
            if m.params is None:
                repl = self._subst(m, {}, t.hide | {m.name}, where)
                toks.extendleft(reversed(repl))
                continue
            if not toks or toks[0].text != '(':
                out.append(t)   # a function-like macro's name alone
                continue
            toks.popleft()
            args, rparen = self._collect_args(toks, m, where)
            repl = self._subst(m, args, (t.hide & rparen.hide) | {m.name}, where)
            toks.extendleft(reversed(repl))
        return out

    def _collect_args(self, toks, m, where):
        args = [[]]
        depth = 0
        while True:
            if not toks:
                raise CppError('%s: unterminated call of macro %s' % (where, m.name))
            t = toks.popleft()
            if t.text == '(':
                depth += 1
            elif t.text == ')':
                if depth == 0:
                    break
                depth -= 1
            elif t.text == ',' and depth == 0 and not (m.variadic and len(args) > len(m.params) - 1):
                args.append([])
                continue
            args[-1].append(t)
        if len(m.params) == 0 and args == [[]]:
            args = []
        if len(args) != len(m.params):
            raise CppError('%s: macro %s takes %d arguments, got %d'
                           % (where, m.name, len(m.params), len(args)))
        return dict(zip(m.params, args)), t

    def _subst(self, m, args, hide, where):
        body = m.body
        out = []
        i = 0
        while i < len(body):
            t = body[i]
            if t.text == '#' and m.params is not None and i + 1 < len(body) and body[i + 1].text in args:
                s = ' '.join(x.text for x in args[body[i + 1].text])
                out.append(Tok('"%s"' % s.replace('\\', '\\\\').replace('"', '\\"'), 'str'))
                i += 2
                continue
            if t.kind == 'id' and t.text in args:
                pasted = (i + 1 < len(body) and body[i + 1].text == '##') or \
                         (i > 0 and body[i - 1].text == '##')
                a = args[t.text]
                out.extend(Tok(x.text, x.kind, x.hide) for x in (a if pasted else self.expand(a, where)))
                if not a and pasted:
                    out.append(Tok('', 'placemarker'))
                i += 1
                continue
            out.append(Tok(t.text, t.kind, t.hide))
            i += 1
        # token pasting
        res = []
        i = 0
        while i < len(out):
            t = out[i]
            if t.text == '##' and res and i + 1 < len(out):
                left = res.pop()
                right = out[i + 1]
                text = left.text + right.text
                toks = tokenize(text, where) if text else []
                if len(toks) > 1:
                    raise CppError('%s: pasting %r and %r gives no single token'
                                   % (where, left.text, right.text))
                res.extend(toks if toks else [Tok('', 'placemarker')])
                i += 2
                continue
            res.append(t)
            i += 1
        return [Tok(t.text, t.kind, t.hide | hide) for t in res if t.kind != 'placemarker']

    # --- #if expressions ----------------------------------------------------
    def eval_condition(self, tokens, where):
        # defined X / defined(X) first, before expansion
        pre = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t.text == 'defined':
                if i + 1 < len(tokens) and tokens[i + 1].text == '(':
                    name = tokens[i + 2].text
                    i += 4
                else:
                    name = tokens[i + 1].text
                    i += 2
                pre.append(Tok('1' if name in self.macros else '0', 'num'))
                continue
            pre.append(t)
            i += 1
        toks = self.expand(pre, where)
        toks = [Tok('0', 'num') if t.kind == 'id' else t for t in toks]
        try:
            return evaluate(toks) != 0
        except CppError as e:
            raise CppError('%s: cannot evaluate #if %s: %s'
                           % (where, ' '.join(t.text for t in tokens), e))

    # --- files ----------------------------------------------------------------
    def resolve(self, name, cur_dir):
        for d in (cur_dir, self.include_dir):
            p = os.path.normpath(os.path.join(d, name))
            if os.path.exists(p):
                return p
        return None

    def run_file(self, path):
        rel = os.path.relpath(path, self.include_dir)
        self.entered.append(rel)
        with open(path) as f:
            text = f.read()
        try:
            lines = logical_lines(text)
        except CppError as e:
            raise CppError('%s: %s' % (rel, e))
        stack = []   # [active, taken, parent_active]
        active = True
        for lineno, line in lines:
            where = '%s:%d' % (rel, lineno)
            s = line.strip()
            if s.startswith('#'):
                self._directive(s[1:].strip(), where, stack, os.path.dirname(path))
                active = all(e[0] for e in stack)
                continue
            if not active or not s:
                continue
            toks = self.expand(tokenize(s, where), where)
            text_line = ' '.join(t.text for t in toks)
            if text_line:
                self.out.append(text_line)
                self.where.append((rel, lineno))
        if stack:
            raise CppError('%s: %d unterminated #if' % (rel, len(stack)))

    def _directive(self, d, where, stack, cur_dir):
        m = re.match(r'(\w*)\s*(.*)$', d)
        word, rest = m.group(1), m.group(2)
        parent = all(e[0] for e in stack)
        if word in ('if', 'ifdef', 'ifndef'):
            if not parent:
                stack.append([False, True])
                return
            if word == 'if':
                v = self.eval_condition(tokenize(rest, where), where)
            else:
                name = rest.split()[0]
                v = (name in self.macros) == (word == 'ifdef')
            stack.append([v, v])
            return
        if word in ('elif', 'else', 'endif'):
            if not stack:
                raise CppError('%s: #%s without #if' % (where, word))
            if word == 'endif':
                stack.pop()
                return
            top = stack[-1]
            outer = all(e[0] for e in stack[:-1])
            if top[1] or not outer:
                top[0] = False
                return
            v = True if word == 'else' else self.eval_condition(tokenize(rest, where), where)
            top[0] = top[1] = v
            return
        if not parent:
            return
        if word == 'define':
            self._define(rest, where)
        elif word == 'undef':
            self.macros.pop(rest.split()[0], None)
        elif word == 'include':
            m2 = re.match(r'["<]([^">]+)[">]', rest)
            if not m2:
                raise CppError('%s: bad #include %s' % (where, rest))
            p = self.resolve(m2.group(1), cur_dir)
            rel = os.path.relpath(p, self.include_dir) if p else m2.group(1)
            if p and (self.follow is None or rel in self.follow):
                self.run_file(p)
            else:
                self.skipped_includes.append((where, rel))
        elif word == 'error':
            raise CppError('%s: #error %s' % (where, rest))
        elif word in ('pragma', 'warning', 'line', ''):
            pass
        else:
            raise CppError('%s: unknown directive #%s' % (where, word))

    def _define(self, rest, where):
        m = re.match(r'([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*)$', rest)
        if not m:
            raise CppError('%s: bad #define %s' % (where, rest))
        name, params, body = m.group(1), m.group(3), m.group(4)
        variadic = False
        if m.group(2) is not None:
            params = [p.strip() for p in params.split(',') if p.strip()]
            if params and params[-1] == '...':
                params[-1] = '__VA_ARGS__'
                variadic = True
        self.macros[name] = Macro(name, params, tokenize(body, where), variadic)

    def constant(self, name):
        """Integer value of an object-like macro, or None."""
        m = self.macros.get(name)
        if m is None or m.params is not None or not m.body:
            return None
        toks = self.expand([Tok(name, 'id')], name)
        try:
            v = evaluate(strip_casts(toks))
        except CppError:
            return None
        if v < 0:
            # ~0U and the like: unsigned (int, or long with an L) in C
            sufs = [t.text.lower().lstrip('0123456789abcdefx') for t in toks if t.kind == 'num']
            if any('u' in x for x in sufs):
                v &= (1 << (64 if any('l' in x for x in sufs) else 32)) - 1
        return v


INT_TYPES = {'int', 'unsigned', 'signed', 'long', 'short', 'char', 'uint8_t', 'uint16_t',
             'uint32_t', 'uint64_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t', 'xen_ulong_t'}


def strip_casts(toks):
    """Drops integer casts such as (uint32_t) or (unsigned long)."""
    out = []
    i = 0
    while i < len(toks):
        if toks[i].text == '(':
            j = i + 1
            while j < len(toks) and toks[j].text in INT_TYPES:
                j += 1
            if j > i + 1 and j < len(toks) and toks[j].text == ')':
                i = j + 1
                continue
        out.append(toks[i])
        i += 1
    return out


def evaluate(toks):
    """Integer C expression (no identifiers left) -> int, evaluated with the
    lark grammar's `expr` rule (c.lark); CppError if it is not one."""
    import cparse   # late: cparse imports this module
    try:
        return cparse.evaluate(' '.join(t.text for t in toks))
    except cparse.ParseError as e:
        raise CppError(str(e))
