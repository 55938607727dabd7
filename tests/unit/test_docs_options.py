# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads docs/options.md)
# docs/options.md's tables list exactly the declared options
# (options.OPTIONS, options.TEST_ONLY), with the declared defaults.
import os

from stubmon import options


def doc_tables():
    """docs/options.md's option tables: {heading: [(key, default cell)]},
    the default's backticks dropped."""
    here = os.path.dirname(os.path.abspath(__file__))
    tables, heading = {}, None
    with open(os.path.join(here, '..', '..', 'docs', 'options.md')) as f:
        for line in f:
            if line.startswith('#'):
                heading = line.strip('# \n')
            elif line.startswith('| `') and '=' in line.split('|')[1]:
                cells = [c.strip() for c in line.replace('\\|', '/').strip().strip('|').split('|')]
                key = cells[0].strip('`').split('=')[0]
                tables.setdefault(heading, []).append((key, cells[1].replace('`', '')))
    return tables


def test_docs_options_tables_are_the_declared_options():
    tables = doc_tables()
    main = tables['Options: the full reference']
    guest = tables['Guest role']
    assert sorted(set(k for k, _ in main + guest)) == sorted(options.KNOWN)
    assert sorted(k for k, _ in tables['Test-only options']) == sorted(options.TEST_ONLY)
    for key, default in main:
        assert default == options.BY_KEY[key].doc_default, key
    for key, default in guest:
        if key != 'watchdog':  # the guest's own watchdog= (guest.py), 'none' there
            assert default == options.BY_KEY[key].doc_default, key
