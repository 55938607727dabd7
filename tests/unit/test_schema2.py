# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (jsonschema, files: mprun.py never runs this module)
# Issue 14: schema stubmon/2 keeps every stubmon/1 key as it was (same
# definition) and only adds; the fake's format=json lines with every new
# option on validate against docs/stubmon-2.schema.json. CPython only.
import json
import os

import pytest

from apprun import run
import test_vcpus

DOCS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'docs'
)
# what /2 may widen: the version itself, the alert rules and their domain
# (null for host-wide rules), the line types
WIDENED = {('', 'schema'), ('', 'type'), ('alert', 'rule'), ('alert', 'domain')}


def load(n):
    with open(os.path.join(DOCS, 'stubmon-%d.schema.json' % n)) as f:
        return json.load(f)


def test_every_stubmon1_key_is_unchanged_in_stubmon2():
    one, two = load(1), load(2)
    pairs = [('', one, two)] + [(k, one['$defs'][k], two['$defs'][k]) for k in one['$defs']]
    checked = 0
    for name, a, b in pairs:
        for key, v in a.get('properties', {}).items():
            if (name, key) in WIDENED:
                continue
            assert b['properties'][key] == v, (name, key)
            checked += 1
        # nothing /1 required is optional in /2
        assert set(a.get('required', [])) <= set(b.get('required', [])), name
    assert checked > 40
    assert two['properties']['schema'] == {'const': 'stubmon/2'}


def test_fake_runs_validate_against_stubmon2():
    jsonschema = pytest.importorskip('jsonschema')
    v = jsonschema.Draft202012Validator(load(2))
    lines, _, _ = run(
        'interval=1 count=3 exit=qemu format=json pcpus=1 vcpus=1', test_vcpus.two_guests
    )
    objs = [json.loads(l) for l in lines if l.startswith('{"schema":')]
    assert len(objs) >= 3
    for o in objs:
        v.validate(o)
        assert list(o)[0] == 'schema' and o['schema'] == 'stubmon/2'
