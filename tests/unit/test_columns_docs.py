# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads docs/)
# The docs follow the declared columns (columns.COLUMNS): docs/table.md's
# column table, docs/json-schema.md's domain keys, the two schemas' domain
# objects.
import json
import os

from stubmon import columns
from stubmon.columns import COLUMNS, LEFT

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs')


def read(name):
    with open(os.path.join(DOCS, name)) as f:
        return f.read()


def table_after(text, heading_or_line):
    """The rows of the first markdown table after that line, as lists of
    cells (the header and the |---| line left out)."""
    lines = text[text.index(heading_or_line) :].splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith('|'))
    rows = []
    for l in lines[start + 2 :]:
        if not l.startswith('|'):
            break
        rows.append([c.strip() for c in l.strip().strip('|').split('|')])
    return rows


def code(names):
    return ', '.join(['`%s`' % n for n in names])


def test_table_md_lists_every_column_as_declared():
    rows = table_after(read('table.md'), '## Every column')
    want = [
        [
            '`%s`' % c.title,
            str(c.width),
            'left' if c.align == LEFT else 'right',
            '`%s`' % c.field,
            c.read,
            code([k[0] for k in c.keys]),
        ]
        for c in COLUMNS
    ]
    assert [r[:6] for r in rows] == want
    assert all(len(r) == 7 and r[6] for r in rows)  # and says what each shows


def test_json_schema_md_lists_every_key_with_its_column():
    rows = table_after(read('json-schema.md'), 'Each domain')
    keys = [r[0].strip('`') for r in rows]
    assert keys == list(columns.DECLARED.json_keys) + ['vcpu_list']
    for r in rows[:-1]:
        c = [c for c in COLUMNS if r[0].strip('`') in [k[0] for k in c.keys]][0]
        assert r[1] == c.title, r


def schema_domain(n):
    return json.loads(read('stubmon-%d.schema.json' % n))['$defs']['domain']


def test_stubmon1s_key_order_is_its_schemas():
    assert tuple(schema_domain(1)['required']) == columns.JSON_V1_ORDER
    assert list(schema_domain(1)['properties']) == list(columns.JSON_V1_ORDER)


def test_stubmon2_schema_has_every_declared_key_in_order():
    assert list(schema_domain(2)['properties']) == list(columns.DECLARED.json_keys) + ['vcpu_list']
