# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs checkpolicy and sesearch; mprun.py never runs this module)
"""policy/stubmon.te, proven on the COMPILED policy: the FLASK policy of the
Xen source release the FLASK hypervisor is built from (tools/dom0/xen-flask.sh)
plus our module, built as xlboot.build_policy does for the boot tests, then
queried with setools' sesearch. Every rule that names one of our types is
compared with the tables of docs/policy.md: a rule added to or removed from
the policy, or from the doc, fails here."""
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
MODULE = os.path.join(TOP, 'policy', 'stubmon.te')
TYPES = ('stubmon_t', 'stubmon_t_self', 'stubmon_t_channel')
# Every rule naming one of our types as source or target, and the type
# transitions the module writes.
QUERIES = [['-A', side, t] for t in TYPES for side in ('-s', '-t')] + [['-T', '-s', 'stubmon_t']]
RULE = re.compile(r'^(allow|type_transition) (\S+) (\S+):(\S+) (\{ [^}]* \}|\S+?);(?: \[ (\w+) \]:True)?$')


@pytest.fixture(scope='module')
def policy(tmp_path_factory):
    # no-op when .deps/xen-flask-4.17 exists (the FLASK boot tests need it too)
    # under the dom0 lock, as the xl boot tests fetch it (tools/buildlock.py)
    with buildlock.locked('dom0'):
        subprocess.run(['bash', os.path.join(TOP, 'tools', 'dom0', 'xen-flask.sh'), xlboot.XEN], check=True)
    return xlboot.build_policy(str(tmp_path_factory.mktemp('policy')))


def sesearch(policy, *args):
    out = subprocess.run(['sesearch'] + list(args) + [policy], check=True,
                         capture_output=True, text=True).stdout
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
    | kind | source | target:class | permissions (or new type) | why |."""
    rows = []
    with open(DOC) as f:
        for line in f:
            cells = [c.strip().strip('`').strip() for c in line.strip().strip('|').split('|')]
            if line.startswith('|') and len(cells) == 5 and re.match(r'^(allow|type_transition)\b', cells[0]):
                kind, src, tc, perms, why = cells
                tgt, cls = tc.split(':')
                assert why, 'docs/policy.md: no reason given for %s' % line.strip()
                rows += [(kind, src, tgt, cls, p) for p in perms.replace('`', ' ').split()]
    return rows


def test_sesearch_reads_the_xen_policy(policy):
    """A check of the check: sesearch understands a Xen (checkpolicy -t Xen)
    policy, finds stock rules, and finds nothing where there is nothing."""
    assert 'allow dom0_t xen_t:xen' in '\n'.join(sesearch(policy, '-A', '-s', 'dom0_t', '-t', 'xen_t', '-c', 'xen'))
    assert sesearch(policy, '-A', '-s', 'stubmon_t', '-t', 'domU_t', '-c', 'domain', '-p', 'pause') == []


def test_doc_lists_each_rule_once():
    rows = documented()
    assert len(rows) > 20, 'docs/policy.md: the rule tables were not found'
    dups = sorted({r for r in rows if rows.count(r) > 1})
    assert not dups, dups


def test_compiled_rules_are_exactly_the_documented_ones(policy):
    got, doc = compiled(policy), set(documented())
    assert sorted(got - doc) == [], 'granted by the compiled policy, not in docs/policy.md'
    assert sorted(doc - got) == [], 'in docs/policy.md, not in the compiled policy'


def test_the_monitor_is_refused_what_it_does_not_use(policy):
    """What the monitor may do to other domains is read them, getdomaininfo
    and (vcpus=1) getvcpuinfo, and nothing else: no pause, destroy, foreign
    mapping, grant or event channel."""
    own = {r for r in compiled(policy) if r[1] == 'stubmon_t' and r[0] == 'allow'}
    on_domains = {(t, c, p) for _, _, t, c, p in own if t not in ('xen_t', 'stubmon_t_self', 'stubmon_t_channel')}
    assert on_domains == {('domain_type', 'domain', 'getdomaininfo'), ('domxen_t', 'domain', 'getdomaininfo'),
                          ('domain_type', 'domain', 'getvcpuinfo')}
    assert {c for _, _, _, c, _ in own} == {'domain', 'xen', 'mmu', 'event'}


def test_dom0_may_hand_it_a_virq(policy):
    assert sesearch(policy, '-A', '-s', 'dom0_t', '-t', 'stubmon_t', '-c', 'domain', '-p', 'set_virq_handler')


def test_module_uses_no_xen_if_macro():
    """The stock interfaces grant more than the monitor uses; the module
    spells out its rules instead."""
    with open(MODULE) as f:
        code = [l.split('#')[0] for l in f]
    used = sorted({w for l in code for w in re.findall(r'\b(\w+)\(', l)})
    assert used == [], used


# --- the opt-in booleans (docs/policy.md#opt-in-booleans) -------------------
BOOLEANS = {'stubmon_readconsole': {('stubmon_t', 'xen_t', 'xen', 'readconsole')},
            'stubmon_virq_handler': {('dom0_t', 'stubmon_t', 'domain', 'set_virq_handler')}}


def booleans(policy):
    """{name: default state} as seinfo reads them from the compiled policy."""
    out = subprocess.run(['seinfo', '-b', '-x', policy], check=True, capture_output=True,
                         text=True).stdout
    return {m.group(1): m.group(2) == 'true' for m in re.finditer(r'^\s*bool (\w+) (true|false);', out, re.M)}


def effective(rules, states):
    """The rules in force with the booleans in those states (a conditional
    rule counts only while its boolean is true)."""
    out = set()
    for kind, src, tgt, cls, perm in rules:
        cond = kind.split(' if ')[1] if ' if ' in kind else None
        if cond is None or states[cond]:
            out.add((src, tgt, cls, perm))
    return out


def test_each_boolean_is_off_and_guards_exactly_its_rules(policy):
    states = booleans(policy)
    rules = compiled(policy)
    for name, granted in BOOLEANS.items():
        assert states[name] is False, name
        guarded = {r[1:] for r in rules if r[0] == 'allow if ' + name}
        assert guarded == granted, name
        assert not granted & effective(rules, states), name   # off: not in force
        assert granted <= effective(rules, dict(states, **{name: True}))


def test_a_policy_built_with_a_boolean_on_grants_it(tmp_path):
    # what a user who wants it for good does: `true` in the module
    with open(MODULE) as f:
        te = f.read()
    assert 'bool stubmon_readconsole false;' in te
    mod = tmp_path / 'stubmon.te'
    mod.write_text(te.replace('bool stubmon_readconsole false;', 'bool stubmon_readconsole true;'))
    on = xlboot.build_policy(str(tmp_path / 'on'), modules=[str(mod)])
    states = booleans(on)
    assert states['stubmon_readconsole'] is True and states['stubmon_virq_handler'] is False
    eff = effective(compiled(on), states)
    assert BOOLEANS['stubmon_readconsole'] <= eff and not BOOLEANS['stubmon_virq_handler'] & eff


# --- docs/policy.md's figures and transcript, regenerated here --------------
def counts(policy):
    """The doc's 'now' row: allow permissions of rules naming a stubmon type,
    those whose source is stubmon_t, and dom0's (dom0_t, dom0_t_channel) on
    stubmon types."""
    allow = [r for r in compiled(policy) if r[0].startswith('allow')]
    return (len(allow), len([r for r in allow if r[1] == 'stubmon_t']),
            len([r for r in allow if r[1] in ('dom0_t', 'dom0_t_channel') and r[2].startswith('stubmon_t')]))


def test_docs_rule_counts_are_the_compiled_ones(policy):
    with open(DOC) as f:
        rows = [l for l in f if l.startswith('| now |')]
    assert len(rows) == 1
    assert tuple(int(c) for c in rows[0].strip('|\n ').split('|')[1:]) == counts(policy)


def transcript():
    """docs/policy.md's sesearch session: [(arguments, lines printed)]."""
    with open(DOC) as f:
        text = f.read()
    block = text.split('```\n$ sesearch ', 1)[1].split('```', 1)[0]
    out = []
    for chunk in ('$ sesearch ' + block).split('$ ')[1:]:
        lines = chunk.rstrip('\n').split('\n')
        args = lines[0].split()[1:]
        if args:
            assert args[-1] == 'xenpolicy'
            out.append((args[:-1], [l for l in lines[1:] if l != '$']))   # '$': the prompt after
    return out


def test_docs_sesearch_transcript_is_what_sesearch_prints(policy):
    runs = transcript()
    assert len(runs) >= 6
    for args, lines in runs:
        assert sesearch(policy, *args) == lines, args
