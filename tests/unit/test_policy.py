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
