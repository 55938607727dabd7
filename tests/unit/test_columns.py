# SPDX-License-Identifier: MIT
# The columns declared once (columns.py): the declaration is well formed,
# the table and the JSON are made from it, and a snapshot of records
# renders in every format (table, json, table+json) from one column list,
# a column added to that list included.
from stubmon import abi
from stubmon import columns
from stubmon import jsonout
from stubmon import record
from stubmon import table
from stubmon.columns import Column, Columns, COLUMNS, LEFT, RIGHT
from stubmon.snapshot import Snapshot
from apprun import run

import recs

try:
    import json
except ImportError:
    json = None

HEADER = '   ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%) MEM(%) SSID Pool UUID'
CRASHED = abi.DOMINF_shutdown | (abi.SHUTDOWN_crash << abi.DOMINF_shutdownshift)


def max_vcpus(max_vcpu_id):
    return 0 if max_vcpu_id == record.MAX_VCPU_ID_NONE else max_vcpu_id + 1


# A column of the kind one adds (the most vCPUs): a field the record has,
# its own text, a JSON key; at the end of the list.
TRIAL = Column('Trial', 5, RIGHT, 'max_vcpu_id', 'int', max_vcpus, (('trial', '%d', max_vcpus),))
STUBMON2 = Columns(COLUMNS[:11])  # the columns of schema stubmon/2's first release


def snapshot():
    """Records of every kind a table shows: running with no memory limit,
    paused, crashed with a handle, wide values, a first poll's (no CPU %)."""
    doms = [
        recs.dom(0, abi.DOMINF_running, 16384, 0xFFFFFFFF, 1250000000, vcpus=2),
        recs.dom(1, abi.DOMINF_paused, 0, 4096, 0, vcpus=0),
        recs.dom(
            5, CRASHED, 256, 512, 7 * 10**9, ssid=12, pool=3, handle=bytes(range(0xA0, 0xB0))
        ),
        recs.dom(32000, abi.DOMINF_blocked, 2**48, 2**36, 10**15, vcpus=100000),
    ]
    return recs.at_poll(doms, {0: 125, 1: 0, 32000: 123456789}, Host())


class Host:
    nr_cpus = 2
    cpu_mhz = 2400
    total_kib = 1048576
    free_kib = 524288


def cell(c, d):
    v = d[record.FIELDS.index(c.field)]
    return str(v if c.text is None else c.text(v))


def json_value(key, c, d):
    """What the key's declaration says the object holds, as JSON text."""
    for k in c.keys:
        if k[0] == key:
            v = d[record.FIELDS.index(k[3] if len(k) > 3 else c.field)]
            return k[1] % (v if k[2] is None else k[2](v))
    raise AssertionError(key)


def declaring(cols, key):
    for c in cols:
        if key in [k[0] for k in c.keys]:
            return c
    raise AssertionError(key)


# --- the declaration ---------------------------------------------------------
def test_declaration_is_well_formed():
    titles, keys = [], []
    for c in COLUMNS:
        assert c.title not in titles and ' ' not in c.title, c.title
        titles.append(c.title)
        assert c.width >= len(c.title), c.title
        assert c.align in (LEFT, RIGHT), c.title
        assert c.field in record.FIELDS, c.title
        assert c.read in ('int', 'tenths', 'text'), c.title
        assert c.keys, c.title  # the JSON carries what the table shows
        for k in c.keys:
            assert len(k) in (3, 4) and k[1] in ('%d', '%s', '"%s"'), k
            assert len(k) == 3 or k[3] in record.FIELDS, k
            assert k[0] not in keys, k
            keys.append(k[0])
    # xl list's seven columns first, in its order
    assert titles[:7] == ['ID', 'State', 'Mem(MiB)', 'MaxMem(MiB)', 'VCPUs', 'Time(s)', 'CPU(%)']


def test_json_keys_keep_stubmon1s_order_and_new_ones_follow():
    assert STUBMON2.json_keys == columns.JSON_V1_ORDER
    cols = columns.DECLARED
    later = [k[0] for c in COLUMNS[11:] for k in c.keys]
    assert cols.json_keys == columns.JSON_V1_ORDER + tuple(later)
    grown = Columns(COLUMNS + (TRIAL,))
    assert grown.json_keys == cols.json_keys + ('trial',)
    assert grown.domain == cols.domain[:-1] + ',"trial":%d}'


def test_a_json_key_declared_twice_is_refused():
    twice = Column('Again', 5, RIGHT, 'domid', 'int', keys=(('id', '%d', None),))
    try:
        Columns(COLUMNS + (twice,))
        raise AssertionError('accepted id twice')
    except ValueError as e:
        assert 'id' in str(e)


def test_header_and_row_format_from_the_declaration():
    cols = STUBMON2
    widths = list(cols.least)
    assert cols.header(widths) == HEADER
    assert cols.row_format(widths) == '%5s %-6s %11s %11s %5s %8s %6s %6s %4s %4s %s'
    d = snapshot()[0]
    assert row(cols, cols.row_format(widths), d) == (
        '    0 r-----          64           -     2      1.3   12.5    6.3    0    0 '
        '00000000-0000-0000-0000-000000000000'
    )


def row(cols, fmt, d):
    """One record's row, as table.format_poll makes each."""
    return fmt % next(cols.each([d], cols.cells))


def test_widths_grow_from_the_widest_value_only():
    cols = columns.DECLARED
    assert cols.widths([]) == list(cols.least)
    w = cols.widths(snapshot())
    by = dict(zip(cols.titles, w))
    assert by['Mem(MiB)'] == len(str(2**48 >> 8)) and by['MaxMem(MiB)'] == 11
    assert by['VCPUs'] == 6 and by['Time(s)'] == len('1000000.0')
    mem = record.percent_tenths(record.pages_to_kib(2**48), Host.total_kib)
    assert by['CPU(%)'] == len('12345678.9') and by['MEM(%)'] == len(columns.pct_text(mem))
    assert by['ID'] == 5 and by['State'] == 6 and by['SSID'] == 4 and by['UUID'] == 36
    # an unlimited max_pages ('-') never sizes MaxMem, the largest limit does
    assert columns.limited_max([2**60, 5, 0xFFFFFFFE, 7]) == 0xFFFFFFFE
    assert columns.limited_max([2**60, 0xFFFFFFFF]) is None
    unl = recs.at_poll([recs.dom(0, 0, 1, 2**60), recs.dom(1, 0, 1, 0xFFFFFFFE)])
    fmt = cols.row_format(cols.widths(unl))
    assert cols.widths(unl)[3] == 11 and len(row(cols, fmt, unl[1]).split()[3]) == 8


def test_each_converts_chunk_by_chunk_in_order():
    doms = recs.at_poll([recs.dom(i, 0, i, i) for i in range(columns.CHUNK * 2 + 3)])
    cols = columns.DECLARED
    got = list(Columns.each(doms, cols.cells))
    assert len(got) == len(doms)
    for d, t in zip(doms, got):
        assert t == tuple([d[i] if f is None else f(d[i]) for i, f in cols.cells])
    assert list(Columns.each([], cols.cells)) == []


# --- one snapshot, every format, from one column list ------------------------------
def check_table(cols, doms, lines):
    """The poll's table lines hold, under each title, each column's text of
    each record, and nothing else."""
    i = lines.index(cols.header(cols.widths(doms)))
    header, rows = lines[i], lines[i + 1 : i + 1 + len(doms)]
    assert header.split() == list(cols.titles)
    assert len(rows) == len(doms) and lines[i + 1 + len(doms)].endswith(' end')
    for d, row in zip(doms, rows):
        assert row.split() == [cell(c, d) for c in cols.cols], row
        for c in cols.cols:  # aligned under the title
            at = header.find(c.title)
            text = cell(c, d)
            if c.align == LEFT:
                assert row[at : at + len(text)] == text, (c.title, row)
            else:
                end = at + len(c.title)
                assert row[end - len(text) : end] == text, (c.title, row)


def check_json(cols, doms, line):
    """The poll's JSON line holds, for each record, the declared keys in
    their order with each key's declared value."""
    objects = line[line.index('"domains":[') + len('"domains":[') : -2]
    want = ','.join(
        [
            '{%s}'
            % ','.join(
                [
                    '"%s":%s' % (k, json_value(k, declaring(cols.cols, k), d))
                    for k in cols.json_keys
                ]
            )
            for d in doms
        ]
    )
    assert objects == want, objects
    if json:  # and it parses, every key there
        got = json.loads(line)['domains']
        assert [sorted(o.keys()) for o in got] == [sorted(cols.json_keys)] * len(doms)


def test_snapshot_in_table_and_json_from_one_column_list():
    doms = snapshot()
    for cols in (columns.DECLARED, Columns(COLUMNS + (TRIAL,))):
        lines = list(table.format_poll(Snapshot(4, '4.20.4', 0, doms, Host()), cols=cols))
        check_table(cols, doms, lines)
        line = jsonout.poll_line(Snapshot(4, '4.20.4', 0, doms, Host()), cols=cols)
        check_json(cols, doms, line)
        assert jsonout.domain_text(doms[2], cols=cols) == cols.json(doms[2])
    # the trial column is at the right of the table and at the end of each object
    small = doms[:2]
    lines = list(
        table.format_poll(Snapshot(4, 'x', 0, small), cols=Columns(STUBMON2.cols + (TRIAL,)))
    )
    assert lines[2] == HEADER + ' ' * 33 + 'Trial'
    assert lines[3].endswith(' 00000000-0000-0000-0000-000000000000     2')
    plain = list(table.format_poll(Snapshot(4, 'x', 0, small), cols=STUBMON2))
    assert lines[:2] == plain[:2] and lines[-1] == plain[-1]
    for g, p in zip(lines[2:-1], plain[2:-1]):  # the title line and the rows
        assert g.startswith(p + ' ') and len(g.split()) == len(p.split()) + 1, (g, p)
    line = jsonout.poll_line(Snapshot(4, 'x', 0, small), cols=Columns(COLUMNS + (TRIAL,)))
    assert '"uuid":"00000000-0000-0000-0000-000000000000",' in line
    assert line.count(',"trial":') == 2 and line.count(',"trial":2}') == 1


def fake_domains(st):
    import xen

    st.domains[0].cpu_permille = 250
    xen.add_domain(
        3,
        flags=abi.DOMINF_blocked,
        tot_pages=1024,
        max_pages=2048,
        ssidref=5,
        cpupool=1,
        handle=bytes(range(16)),
    )
    xen.add_domain(4, flags=CRASHED, tot_pages=256, max_pages=0xFFFFFFFF, vcpus=2)


def polls(lines, n):
    """format=table's lines of poll n, and format=json's poll n line."""
    js = [
        l
        for l in lines
        if l.startswith('{"schema":"stubmon/2","type":"poll"') and ('"poll":%d,' % n) in l
    ]
    if 'stubmon poll %d end' % n not in lines:
        return [], js
    start = lines.index([l for l in lines if l.startswith('stubmon poll %d:' % n)][0])
    return lines[start : lines.index('stubmon poll %d end' % n) + 1], js


def test_snapshot_in_every_format_of_the_monitor():
    """format=table, json and table+json of the same domains: table+json is
    the table then the JSON, each as the other formats print it, and each
    row and each object is the declared columns of the same record."""
    out = {}
    for f in ('table', 'json', 'table+json'):
        lines, how, st = run('count=2 interval=1 format=%s exit=qemu' % f, fake_domains)
        out[f] = polls(lines, 2)
    tables, js = out['table+json']
    assert tables == out['table'][0] and out['table'][1] == []
    assert js == out['json'][1] and len(js) == 1 and out['json'][0] == []
    cols = columns.DECLARED
    titles = tables[[l.split()[:1] for l in tables].index(['ID'])].split()
    assert titles == list(cols.titles)
    rows = [l.split() for l in tables if l[:1] == ' ' and l.split()[0].isdigit()]
    assert [r[0] for r in rows] == ['0', '3', '4']
    if not json:
        return
    # each row and its JSON object: the same record through each declaration
    line = js[0]
    for r in rows:
        at = line.index('{"id":%s,' % r[0])
        obj = line[at : line.index('}', at) + 1]
        d = record_of(json.loads(obj))
        assert obj == cols.json(d), (r, obj)
        assert r == [cell(c, d) for c in cols.cols], r


def record_of(o):
    """The record a domain's object says (its table row must say the same)."""
    maxp = 0xFFFFFFFF if o['maxmem_k'] is None else o['maxmem_k'] // record.KIB_PER_PAGE
    handle = bytes([int(o['uuid'].replace('-', '')[i : i + 2], 16) for i in range(0, 32, 2)])
    flags = [
        f
        for f in (abi.DOMINF_running, abi.DOMINF_blocked, CRASHED)
        if record.state(f) == o['state']
    ][0]
    return recs.dom(
        o['id'],
        flags,
        o['mem_k'] // record.KIB_PER_PAGE,
        maxp,
        o['cpu_ns'],
        o['vcpus'],
        o['ssid'],
        o['cpupool'],
        handle,
        o['cpu_pct_x10'],
        o['mem_pct_x10'],
    )
