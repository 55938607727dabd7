# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads the docs with re and os.path; mprun.py never runs this module)
"""Every relative link in README.md and docs/*.md points to a file that
exists and, with a #fragment, to a heading of that file (anchors as GitHub
makes them); the README stays the short front door (at most MAX_README
lines). Run as a script, it prints each broken link."""

import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_README = 260

# [text](target) and [label]: target; images too (![alt](target)).
INLINE = re.compile(r'\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)')
REFDEF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$')
HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')


def doc_files(top=TOP):
    files = [os.path.join(top, 'README.md')]
    docs = os.path.join(top, 'docs')
    files += sorted(os.path.join(docs, f) for f in os.listdir(docs) if f.endswith('.md'))
    return files


def prose_lines(text):
    """(line number, line) outside fenced and indented code blocks, with
    inline code spans blanked (a link inside backticks is not a link)."""
    fence = None
    prev_blank = True
    in_indented = False
    for n, line in enumerate(text.split('\n'), 1):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = None
            prev_blank = False
            continue
        if stripped.startswith('```') or stripped.startswith('~~~'):
            fence = stripped[:3]
            continue
        blank = not line.strip()
        # An indented code block starts after a blank line and lasts while
        # lines stay indented (or blank); a list item's continuation is not one.
        if line.startswith('    ') and (prev_blank or in_indented) and not blank:
            in_indented = True
            prev_blank = False
            continue
        if not blank:
            in_indented = False
        prev_blank = blank
        yield n, re.sub(r'(`+)(.+?)\1', lambda m: ' ' * len(m.group(0)), line)


def slug(heading):
    """GitHub's anchor for a heading's text: markup dropped, lower case,
    punctuation removed, each space a hyphen."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # a link keeps its text
    text = text.replace('`', '').replace('*', '')
    text = text.lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path):
    seen = {}
    out = set()
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for _, line in prose_lines_raw(text):
        m = HEADING.match(line)
        if not m:
            continue
        s = slug(m.group(2))
        if s in seen:
            seen[s] += 1
            out.add('%s-%d' % (s, seen[s]))
        else:
            seen[s] = 0
            out.add(s)
    return out


def prose_lines_raw(text):
    """As prose_lines, but with code spans kept (headings keep their text)."""
    lines = text.split('\n')
    for n, _ in prose_lines(text):
        yield n, lines[n - 1]


def links(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for n, line in prose_lines(text):
        for m in INLINE.finditer(line):
            yield n, m.group(1)
        m = REFDEF.match(line)
        if m:
            yield n, m.group(1)


def broken_links(files, top=TOP):
    """'file:line: target: why' for each relative link that does not resolve."""
    bad = []
    cache = {}
    for path in files:
        for n, target in links(path):
            if not target or SCHEME.match(target):
                continue
            where = '%s:%d: %s' % (os.path.relpath(path, top), n, target)
            file_part, _, frag = target.partition('#')
            dest = (
                os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                if file_part
                else path
            )
            if not os.path.exists(dest):
                bad.append(where + ': no such file')
                continue
            if frag:
                if not dest.endswith('.md'):
                    bad.append(where + ': an anchor into a file that is not Markdown')
                    continue
                if dest not in cache:
                    cache[dest] = anchors(dest)
                if frag not in cache[dest]:
                    bad.append(where + ': no heading with anchor #' + frag)
    return bad


def readme_lines(top=TOP):
    with open(os.path.join(top, 'README.md'), encoding='utf-8') as f:
        return len(f.read().splitlines())


def test_every_relative_link_resolves():
    files = doc_files()
    assert len(files) > 10, 'docs/ was not found: %r' % files
    assert broken_links(files) == []


def test_readme_is_short():
    n = readme_lines()
    assert n <= MAX_README, 'README.md has %d lines, at most %d: move the detail to docs/' % (
        n,
        MAX_README,
    )


def test_docs_index_lists_every_page():
    # docs/README.md is the manual's index: a page it does not name is lost.
    index = os.path.join(TOP, 'docs', 'README.md')
    named = {
        os.path.normpath(os.path.join(TOP, 'docs', t.partition('#')[0])) for _, t in links(index)
    }
    pages = [f for f in doc_files() if os.path.dirname(f).endswith('docs') and f != index]
    assert [os.path.basename(p) for p in pages if p not in named] == []


def test_the_check_finds_broken_links(tmp_path):
    # The checker itself: each kind of broken link is reported, good ones are not.
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'a.md').write_text(
        '# Page A\n\n## Two words: `code`\n\n## Two words: `code`\n\n'
        'Fine: [b](b.md), [self](#page-a), [dup](#two-words-code-1), [up](../README.md#top),\n'
        '[web](https://example.org/x), `[not a link](nowhere.md)`.\n\n'
        '    [in a code block](nowhere.md)\n\n'
        'Broken: [gone](gone.md), [anchor](b.md#nope), [dup2](#two-words-code-2).\n'
    )
    (tmp_path / 'docs' / 'b.md').write_text('# B\n')
    (tmp_path / 'README.md').write_text('# Top\n\n[a](docs/a.md#page-a) [x](docs/x.md)\n')
    bad = broken_links(doc_files(str(tmp_path)), top=str(tmp_path))
    assert bad == [
        'README.md:3: docs/x.md: no such file',
        'docs/a.md:12: gone.md: no such file',
        'docs/a.md:12: b.md#nope: no heading with anchor #nope',
        'docs/a.md:12: #two-words-code-2: no heading with anchor #two-words-code-2',
    ]


def test_slug_is_githubs():
    assert slug('arm64: dom0 next to dom0less domUs') == 'arm64-dom0-next-to-dom0less-domus'
    assert slug('Running as a domU: `xl create`') == 'running-as-a-domu-xl-create'
    assert slug('The REPL (`repl=1`)') == 'the-repl-repl1'
    assert slug('`domains=`') == 'domains'


if __name__ == '__main__':
    problems = broken_links(doc_files())
    for p in problems:
        print(p)
    n = readme_lines()
    if n > MAX_README:
        problems.append('README.md: %d lines' % n)
        print('README.md: %d lines, at most %d' % (n, MAX_README))
    print('%d files checked, %d problems' % (len(doc_files()), len(problems)))
    sys.exit(1 if problems else 0)
