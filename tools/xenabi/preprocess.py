# SPDX-License-Identifier: MIT
"""Xen's public headers through the target toolchain's own preprocessor:
`<cc> -dM -E` lists the #defines, `<cc> -E` yields the declarations (its
linemarkers map every line back to its header, so a parse error names the
file and line) and the expansion of each wanted integer #define."""

import os
import re
import shutil
import subprocess

# The compiler of each arch, as port-xen/arch/*/arch.mk names it, and the
# Debian package tools/deps.sh installs it from.
CC = {'x86_64': ('gcc', 'gcc'), 'aarch64': ('aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu')}
ARCH_MACRO = {'x86_64': '__x86_64__', 'aarch64': '__aarch64__'}
# gnu11: the dialect the model had (__STDC_VERSION__ 201112L, GNU extensions
# on); -nostdinc: the headers must stand alone, no C library is read.
FLAGS = ['-std=gnu11', '-nostdinc']
MARK = 'xenabi_constant'  # starts the output line of one #define's expansion

LINEMARKER = re.compile(r'# (\d+) "((?:[^"\\]|\\.)*)"')
DEFINE = re.compile(r'#define ([A-Za-z_]\w*)(\([^)]*\))? ?(.*)$')


class PreprocessError(Exception):
    """'file:line: message', or the missing compiler."""


class Headers:
    """What the preprocessor made of one header set for one arch:
    out[i] a non-empty line of declarations from where[i] = (file, line);
    macros: name -> params text (None: object-like) for every #define;
    expansions: name -> text, for the object-like #defines asked for."""

    def __init__(self):
        self.out, self.where, self.macros, self.expansions = [], [], {}, {}


def compiler(arch):
    name, package = CC[arch]
    path = shutil.which(name)
    if path is None:
        raise PreprocessError(
            '%s not found (the %s preprocessor): tools/deps.sh installs %s' % (name, arch, package)
        )
    return path


def run(include_dir, arch, files, defines, wanted=lambda name: False):
    """Preprocesses `#include <xen/F>` for F in files, in order. defines:
    name -> value text, as -D; wanted(name): expand this #define."""
    cc = compiler(arch)
    flags = FLAGS + ['-I', include_dir] + ['-D%s=%s' % kv for kv in sorted(defines.items())]
    src = ''.join('#include <xen/%s>\n' % f for f in files)
    h = Headers()
    for line in _cc([cc, '-dM', '-E'] + flags + ['-'], src, include_dir).splitlines():
        m = DEFINE.match(line)
        if m:
            h.macros[m.group(1)] = m.group(2)
    if ARCH_MACRO[arch] not in h.macros:
        raise PreprocessError(
            '%s does not target %s (%s is not defined)' % (cc, arch, ARCH_MACRO[arch])
        )
    names = sorted(n for n, params in h.macros.items() if params is None and wanted(n))
    src += ''.join('%s %s\n' % (MARK, n) for n in names)
    text = _cc([cc, '-E'] + flags + ['-'], src, include_dir)
    expanded = []
    where = ('<stdin>', 0)
    for line in text.splitlines():
        m = LINEMARKER.match(line)
        if m:
            where = (_rel(m.group(2), include_dir), int(m.group(1)) - 1)
            continue
        where = (where[0], where[1] + 1)
        s = line.strip()
        if where[0] == '<stdin>':
            if s.startswith(MARK):
                expanded.append(s[len(MARK) :].strip())
        elif s:
            h.out.append(s)
            h.where.append(where)
    if len(expanded) != len(names):
        raise PreprocessError('%d #define expansions for %d names' % (len(expanded), len(names)))
    h.expansions = dict(zip(names, expanded))
    return h


def _rel(path, include_dir):
    if path.startswith('<'):
        return path
    return os.path.relpath(os.path.normpath(path), include_dir)


def _cc(argv, src, include_dir):
    r = subprocess.run(argv, input=src, capture_output=True, text=True)
    if r.returncode != 0:
        raise PreprocessError(
            _first_error(r.stderr, include_dir)
            or '%s exited with status %d' % (argv[0], r.returncode)
        )
    return r.stdout


def _first_error(stderr, include_dir):
    # gcc: "PATH:LINE:COL: error: MESSAGE" -> "xen/F.h:LINE: MESSAGE"
    for line in stderr.splitlines():
        m = re.match(r'(.+?):(\d+):(?:\d+:)? (?:fatal )?error: (.*)$', line)
        if m:
            return '%s:%s: %s' % (_rel(m.group(1), include_dir), m.group(2), m.group(3))
    return stderr.strip().split('\n')[0] if stderr.strip() else None
