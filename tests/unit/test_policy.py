# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs checkpolicy and sesearch; mprun.py never runs this module)
"""policy/*.te, proven on the COMPILED policy of each Xen release and
architecture the FLASK boot tests run: the FLASK policy sources of that point
release (4.17.5: Debian's source, tools/dom0/xen-flask.sh; 4.20.4: Xen's tag,
../shared/xen/flask-4.20.4/src) plus the modules xlboot.policy_module_files
picks for it (stubmon.te, stubmon_<board>.te, stubmon_xen420.te from 4.20
on), built as xlboot.build_policy does for the boot tests, then queried with
setools' sesearch. Every rule that names one of our types is compared with
the tables of docs/policy.md, whose `in` column says on which releases and
architectures a row holds: a rule added to or removed from the policy, or
from the doc, fails here. A release whose sources are missing (no
../shared) is skipped with the missing path."""

import os
import re
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools', 'dom0'))
sys.path.insert(0, os.path.join(TOP, 'tools'))
import buildlock  # noqa: E402
import xlboot  # noqa: E402

DOC = os.path.join(TOP, 'docs', 'policy.md')
POLICY_DIR = os.path.join(TOP, 'policy')
MODULE = os.path.join(POLICY_DIR, 'stubmon.te')
TYPES = ('stubmon_t', 'stubmon_t_self', 'stubmon_t_channel')
# Every rule naming one of our types as source or target, and the type
# transitions the module writes.
QUERIES = [['-A', side, t] for t in TYPES for side in ('-s', '-t')] + [['-T', '-s', 'stubmon_t']]
RULE = re.compile(
    r'^(allow|type_transition) (\S+) (\S+):(\S+) (\{ [^}]* \}|\S+?);(?: \[ (\w+) \]:True)?$'
)
# (release, board): what the FLASK boot tests run (test_xl_x86_64.py,
# test_xl_flask_420.py). Debian's arch names for xlboot.
CELLS = [('4.17', 'x86_64'), ('4.20', 'x86_64'), ('4.20', 'arm64')]
ARCH = {'x86_64': 'amd64', 'arm64': 'arm64'}


def cell_id(cell):
    return '%s-%s' % cell


def missing(release):
    """Why release's policy sources cannot be had here, or None."""
    if release in xlboot.FLASK_SHARED:
        return xlboot.flask_missing(release, 'arm64')  # the policy sources only
    return None


def fetch_sources(release):
    if release not in xlboot.FLASK_SHARED:
        # no-op when .deps/xen-flask-4.17 exists (the FLASK boot tests need it
        # too), under the dom0 lock, as the xl boot tests fetch it
        with buildlock.locked('dom0'):
            subprocess.run(
                ['bash', os.path.join(TOP, 'tools', 'dom0', 'xen-flask.sh'), release], check=True
            )


def build(tmp_path_factory, release, board, modules=None):
    why = missing(release)
    if why:
        pytest.skip(why)
    fetch_sources(release)
    out = tmp_path_factory.mktemp('policy-%s-%s' % (release, board))
    return xlboot.build_policy(str(out), modules, release, ARCH[board])


@pytest.fixture(scope='module', params=CELLS, ids=cell_id)
def cell(request, tmp_path_factory):
    """(release, board, compiled policy file)."""
    release, board = request.param
    return release, board, build(tmp_path_factory, release, board)


@pytest.fixture(scope='module')
def policy(tmp_path_factory):
    """Xen 4.17 x86_64's (the tests that need one policy only)."""
    return build(tmp_path_factory, '4.17', 'x86_64')


def sesearch(policy, *args):
    out = subprocess.run(
        ['sesearch'] + list(args) + [policy], check=True, capture_output=True, text=True
    ).stdout
    return [l for l in out.splitlines() if l.strip()]


def expand(line):
    """One sesearch line as (kind, source, target, class, perm) tuples; a
    conditional rule's kind is 'allow if BOOL'."""
    m = RULE.match(line)
    assert m, 'sesearch printed an unexpected line: %r' % line
    kind, src, tgt, cls, perms, cond = m.groups()
    if cond:
        kind += ' if ' + cond
    return {(kind, src, tgt, cls, p) for p in perms.strip('{} ').split()}


def compiled(policy):
    rules = set()
    for q in QUERIES:
        for line in sesearch(policy, *q):
            rules |= expand(line)
    return rules


def documented():
    """The rows of docs/policy.md's tables whose first cell is a rule kind:
    | kind | source | target:class | permissions (or new type) | in | why |,
    as (kind, source, target, class, perm, in)."""
    rows = []
    with open(DOC) as f:
        for line in f:
            cells = [c.strip().strip('`').strip() for c in line.strip().strip('|').split('|')]
            if line.startswith('|') and re.match(r'^(allow|type_transition)\b', cells[0]):
                assert len(cells) == 6, (
                    'docs/policy.md: a rule row wants 6 cells: %s' % line.strip()
                )
                kind, src, tc, perms, where, why = cells
                tgt, cls = tc.split(':')
                assert why, 'docs/policy.md: no reason given for %s' % line.strip()
                rows += [(kind, src, tgt, cls, p, where) for p in perms.replace('`', ' ').split()]
    return rows


def holds(where, release, board):
    """Does a row whose `in` cell is `where` hold for that cell? `all`, or
    words of which each must match: a board (x86_64, arm64), a first
    release (4.20+)."""
    if where == 'all':
        return True
    for word in where.split():
        if word in ARCH:
            if word != board:
                return False
        else:
            m = re.match(r'^(\d+)\.(\d+)\+$', word)
            assert m, 'docs/policy.md: unknown `in` word %r' % word
            if (int(m.group(1)), int(m.group(2))) > tuple(int(x) for x in release.split('.')):
                return False
    return True


def documented_for(release, board):
    return {r[:5] for r in documented() if holds(r[5], release, board)}


def test_sesearch_reads_the_xen_policy(cell):
    """A check of the check: sesearch understands a Xen (checkpolicy -t Xen)
    policy, finds stock rules, and finds nothing where there is nothing."""
    policy = cell[2]
    assert 'allow dom0_t xen_t:xen' in '\n'.join(
        sesearch(policy, '-A', '-s', 'dom0_t', '-t', 'xen_t', '-c', 'xen')
    )
    assert (
        sesearch(policy, '-A', '-s', 'stubmon_t', '-t', 'domU_t', '-c', 'domain', '-p', 'pause')
        == []
    )


def test_doc_lists_each_rule_once():
    rows = documented()
    assert len(rows) > 20, 'docs/policy.md: the rule tables were not found'
    dups = sorted({r for r in rows if rows.count(r) > 1})
    assert not dups, dups
    # and no permission is listed twice for cells that overlap
    for release, board in CELLS:
        keys = [r[:5] for r in documented() if holds(r[5], release, board)]
        assert len(keys) == len(set(keys)), (release, board)


def test_compiled_rules_are_exactly_the_documented_ones(cell):
    release, board, policy = cell
    got, doc = compiled(policy), documented_for(release, board)
    assert sorted(got - doc) == [], (
        'granted by the compiled policy of %s %s, not in docs/policy.md' % (release, board)
    )
    assert sorted(doc - got) == [], 'in docs/policy.md for %s %s, not in the compiled policy' % (
        release,
        board,
    )


def test_the_monitor_is_refused_what_it_does_not_use(cell):
    """What the monitor may do to other domains is read them, getdomaininfo
    and (vcpus=1) getvcpuinfo, and nothing else: no pause, destroy, foreign
    mapping, grant or event channel. hvm only on arm64, only on itself."""
    release, board, policy = cell
    own = {r for r in compiled(policy) if r[1] == 'stubmon_t' and r[0] == 'allow'}
    on_domains = {
        (t, c, p)
        for _, _, t, c, p in own
        if t not in ('xen_t', 'stubmon_t_self', 'stubmon_t_channel')
    }
    assert on_domains == {
        ('domain_type', 'domain', 'getdomaininfo'),
        ('domxen_t', 'domain', 'getdomaininfo'),
        ('domain_type', 'domain', 'getvcpuinfo'),
    }
    classes = {'domain', 'xen', 'mmu', 'event'} | ({'hvm'} if board == 'arm64' else set())
    assert {c for _, _, _, c, _ in own} == classes
    assert {t for _, _, t, c, _ in own if c == 'hvm'} <= {'stubmon_t_self'}


def test_dom0_may_hand_it_a_virq(cell):
    assert sesearch(
        cell[2], '-A', '-s', 'dom0_t', '-t', 'stubmon_t', '-c', 'domain', '-p', 'set_virq_handler'
    )


def test_llc_colours_only_where_the_class_has_them(cell):
    """set_llc_colors (domain2) exists from Xen 4.20 on: granted to dom0 on
    stubmon_t there, never on 4.17."""
    release, board, policy = cell
    out = subprocess.run(
        ['seinfo', '-c', 'domain2', '-x', policy], check=True, capture_output=True, text=True
    ).stdout
    defined = 'set_llc_colors' in out.split()
    assert defined == (release != '4.17'), out
    if defined:
        assert sesearch(
            policy,
            '-A',
            '-s',
            'dom0_t',
            '-t',
            'stubmon_t',
            '-c',
            'domain2',
            '-p',
            'set_llc_colors',
        )
    else:
        assert 'set_llc_colors' not in '\n'.join(
            sesearch(policy, '-A', '-s', 'dom0_t', '-t', 'stubmon_t')
        )


def test_the_4_20_module_does_not_build_against_4_17(tmp_path_factory, capfd):
    """Why stubmon_xen420.te is a file of its own: 4.17's access vectors
    have no set_llc_colors, and checkpolicy rejects the module naming it."""
    with pytest.raises(subprocess.CalledProcessError):
        build(
            tmp_path_factory,
            '4.17',
            'x86_64',
            xlboot.policy_module_files('4.17', 'amd64')
            + [os.path.join(POLICY_DIR, 'stubmon_xen420.te')],
        )
    err = capfd.readouterr().err
    assert 'set_llc_colors' in err, err


@pytest.mark.parametrize(
    'release,board',
    [('4.17', 'arm64'), ('4.17', 'x86_64'), ('4.20', 'x86_64'), ('4.20', 'arm64')],
    ids=lambda v: v,
)
def test_every_release_and_board_builds(tmp_path_factory, release, board):
    """The modules of each board build against each release's policy,
    4.17 arm64 included (not booted here: Debian's arm64 4.17 has FLASK)."""
    names = [os.path.basename(m) for m in xlboot.policy_module_files(release, ARCH[board])]
    assert names[0] == 'stubmon.te' and 'stubmon_%s.te' % board in names
    assert ('stubmon_xen420.te' in names) == (release != '4.17')
    assert os.path.getsize(build(tmp_path_factory, release, board)) > 0


def test_module_uses_no_xen_if_macro():
    """The stock interfaces grant more than the monitor uses; the modules
    spell out their rules instead."""
    mods = sorted(f for f in os.listdir(POLICY_DIR) if f.endswith('.te'))
    assert mods == ['stubmon.te', 'stubmon_arm64.te', 'stubmon_x86_64.te', 'stubmon_xen420.te'], (
        mods
    )
    for m in mods:
        with open(os.path.join(POLICY_DIR, m)) as f:
            code = [l.split('#')[0] for l in f]
        used = sorted({w for l in code for w in re.findall(r'\b(\w+)\(', l)})
        assert used == [], (m, used)


# --- the opt-in booleans (docs/policy.md#opt-in-booleans) -------------------
BOOLEANS = {
    'stubmon_readconsole': {('stubmon_t', 'xen_t', 'xen', 'readconsole')},
    'stubmon_virq_handler': {('dom0_t', 'stubmon_t', 'domain', 'set_virq_handler')},
}


def booleans(policy):
    """{name: default state} as seinfo reads them from the compiled policy."""
    out = subprocess.run(
        ['seinfo', '-b', '-x', policy], check=True, capture_output=True, text=True
    ).stdout
    return {
        m.group(1): m.group(2) == 'true'
        for m in re.finditer(r'^\s*bool (\w+) (true|false);', out, re.M)
    }


def effective(rules, states):
    """The rules in force with the booleans in those states (a conditional
    rule counts only while its boolean is true)."""
    out = set()
    for kind, src, tgt, cls, perm in rules:
        cond = kind.split(' if ')[1] if ' if ' in kind else None
        if cond is None or states[cond]:
            out.add((src, tgt, cls, perm))
    return out


def test_each_boolean_is_off_and_guards_exactly_its_rules(cell):
    states = booleans(cell[2])
    rules = compiled(cell[2])
    for name, granted in BOOLEANS.items():
        assert states[name] is False, name
        guarded = {r[1:] for r in rules if r[0] == 'allow if ' + name}
        assert guarded == granted, name
        assert not granted & effective(rules, states), name  # off: not in force
        assert granted <= effective(rules, dict(states, **{name: True}))


def test_a_policy_built_with_a_boolean_on_grants_it(
    policy, tmp_path
):  # policy: 4.17's sources fetched
    # what a user who wants it for good does: `true` in the module
    with open(MODULE) as f:
        te = f.read()
    assert 'bool stubmon_readconsole false;' in te
    mod = tmp_path / 'stubmon.te'
    mod.write_text(te.replace('bool stubmon_readconsole false;', 'bool stubmon_readconsole true;'))
    others = [m for m in xlboot.policy_module_files() if os.path.basename(m) != 'stubmon.te']
    on = xlboot.build_policy(str(tmp_path / 'on'), modules=[str(mod)] + others)
    states = booleans(on)
    assert states['stubmon_readconsole'] is True and states['stubmon_virq_handler'] is False
    eff = effective(compiled(on), states)
    assert BOOLEANS['stubmon_readconsole'] <= eff and not BOOLEANS['stubmon_virq_handler'] & eff


# --- docs/policy.md's figures and transcript, regenerated here --------------
def counts(policy):
    """The doc's 'now' rows: allow permissions of rules naming a stubmon
    type, those whose source is stubmon_t, and dom0's (dom0_t,
    dom0_t_channel) on stubmon types."""
    allow = [r for r in compiled(policy) if r[0].startswith('allow')]
    return (
        len(allow),
        len([r for r in allow if r[1] == 'stubmon_t']),
        len(
            [
                r
                for r in allow
                if r[1] in ('dom0_t', 'dom0_t_channel') and r[2].startswith('stubmon_t')
            ]
        ),
    )


def test_docs_rule_counts_are_the_compiled_ones(cell):
    release, board, policy = cell
    with open(DOC) as f:
        rows = [l for l in f if l.startswith('| now: Xen %s %s |' % (release, board))]
    assert len(rows) == 1
    assert tuple(int(c) for c in rows[0].strip('|\n ').split('|')[1:]) == counts(policy)


def transcripts():
    """docs/policy.md's sesearch sessions: {policy file: [(arguments, lines
    printed)]}. `xenpolicy` is Xen 4.17 x86_64's, `xenpolicy-X.Y-BOARD`
    that cell's."""
    with open(DOC) as f:
        text = f.read()
    out = {}
    for block in text.split('```\n$ sesearch ')[1:]:
        block = '$ sesearch ' + block.split('```', 1)[0]
        for chunk in block.split('$ ')[1:]:
            lines = chunk.rstrip('\n').split('\n')
            args = lines[0].split()[1:]
            if args:
                assert args[-1].startswith('xenpolicy')
                out.setdefault(args[-1], []).append(
                    (args[:-1], [l for l in lines[1:] if l != '$'])
                )
    return out


def policy_file_name(release, board):
    return (
        'xenpolicy'
        if (release, board) == ('4.17', 'x86_64')
        else 'xenpolicy-%s-%s' % (release, board)
    )


def test_docs_sesearch_transcripts_name_known_cells():
    names = {policy_file_name(r, b) for r, b in CELLS}
    got = transcripts()
    assert set(got) <= names, sorted(set(got) - names)
    assert len(got['xenpolicy']) >= 6


def test_docs_sesearch_transcript_is_what_sesearch_prints(cell):
    release, board, policy = cell
    runs = transcripts().get(policy_file_name(release, board), [])
    for args, lines in runs:
        assert sesearch(policy, *args) == lines, args
