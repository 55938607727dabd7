# SPDX-License-Identifier: MIT
"""The poll table's columns and each domain's JSON keys, declared once.

Each Column of COLUMNS is one column of the table (table.py) together with
the JSON keys of a domain's object that carry its value (jsonout.py):

    Column(title, width, align, field, read, text=None, keys=(), widest=max)

- title, width, align: the column's title, its least width (a poll's
  column widens, title included, when a value needs it), RIGHT or LEFT.
- field: the record.Domain field it shows (fields.FIELDS). A value made
  from several fields is a record field, derived once in record.py.
- read: how its text reads back, for parsers of the table (the exporter's
  consolelog.py reads it: exporter/stubmon_exporter/columns.py links here):
  'int', 'tenths' (one decimal, read as tenths) or 'text'; '-' is None
  except in 'text'.
- text: the field's value -> the cell (str or int); None: the value as is.
- keys: the JSON keys it gives, each (key, template, conv[, field]):
  template '%d' an int, '"%s"' a string with nothing to escape, '%s' JSON
  text that conv makes (e.g. 'null'); conv: the value -> what the template
  takes, None: the value as is; field: another record field than the
  column's.
- widest: the field's values in a poll (None left out, fields.MAYBE_NONE)
  -> the one whose text is the widest, or None (no row is formatted twice
  to size the columns); None instead of a function: the text never
  outgrows the width.

The table, the JSON and the exporter's parser all read COLUMNS;
docs/table.md's column table and docs/json-schema.md's key table follow
it (tests check them). A new column goes at the end: the table grows to the right
and a domain's object gains keys at its end (docs/json-schema.md).

Speed (1000 domains a poll): Columns makes, once per column list, the
cells' (record index, conv) pairs and the JSON template; a poll then
converts its records column by column (Columns.each) and makes each row,
and each domain's object, with one %-format.
"""

from . import fields

RIGHT, LEFT = '>', '<'
UNLIMITED_TEXT = '-'
CHUNK = 64  # records converted at a time (Columns.each)

# The keys of a domain's object in schema stubmon/1, in its order: frozen
# (a version only gains keys at the end; docs/stubmon-1.schema.json). The
# keys of columns added since follow them, in COLUMNS' order.
JSON_V1_ORDER = (
    'id',
    'state',
    'status',
    'cpu_ns',
    'cpu_sec',
    'cpu_pct_x10',
    'mem_k',
    'mem_pct_x10',
    'maxmem_k',
    'vcpus',
    'ssid',
    'cpupool',
    'uuid',
)


class Column:
    """One column, declared once (see the module's text)."""

    def __init__(self, title, width, align, field, read, text=None, keys=(), widest=max):
        self.title, self.width, self.align = title, width, align
        self.field, self.read, self.text = field, read, text
        self.keys, self.widest = keys, widest


# --- the values as text -------------------------------------------------------
def tenths_text(tenths):
    return '%d.%d' % (tenths // 10, tenths % 10)


def ns_to_seconds_text(ns):
    # one decimal, rounded half up
    t = (ns + 50000000) // 100000000
    return '%d.%d' % (t // 10, t % 10)


def pct_text(tenths):
    return '-' if tenths is None else '%d.%d' % (tenths // 10, tenths % 10)


_uuids = {}  # handle -> its text: a handle keeps its text for the domain's life


def uuid_text(handle):
    t = _uuids.get(handle)
    if t is None:
        h = ''.join(['%02x' % b for b in handle])
        t = '%s-%s-%s-%s-%s' % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
        if len(_uuids) >= 4096:  # bounded, whatever comes and goes
            _uuids.clear()
        _uuids[handle] = t
    return t


def maxmem_text(max_pages):
    if fields.max_pages_unlimited(max_pages):
        return UNLIMITED_TEXT
    return str(fields.pages_to_mib(max_pages))


def limited_max(pages):
    """The largest limit of a poll's max_pages (unlimited shows '-')."""
    limited = [p for p in pages if not fields.max_pages_unlimited(p)]
    return max(limited) if limited else None


def null(v):
    return 'null' if v is None else str(v)


def maxmem_json(max_pages):
    if fields.max_pages_unlimited(max_pages):
        return 'null'
    return str(fields.pages_to_kib(max_pages))


def whole_seconds(ns):
    return ns // 1000000000


# --- the columns ----------------------------------------------------------------
# fmt: off
COLUMNS = (
    Column('ID', 5, RIGHT, 'domid', 'int', keys=(('id', '%d', None),)),
    # status: the state's name; nothing in it to escape
    Column('State', 6, LEFT, 'state', 'text', widest=None,
           keys=(('state', '"%s"', None), ('status', '"%s"', None, 'status'))),
    Column('Mem(MiB)', 11, RIGHT, 'tot_pages', 'int', fields.pages_to_mib,
           (('mem_k', '%d', fields.pages_to_kib),)),
    Column('MaxMem(MiB)', 11, RIGHT, 'max_pages', 'int', maxmem_text,
           (('maxmem_k', '%s', maxmem_json),), limited_max),
    Column('VCPUs', 5, RIGHT, 'nr_online_vcpus', 'int', keys=(('vcpus', '%d', None),)),
    Column('Time(s)', 8, RIGHT, 'cpu_time', 'tenths', ns_to_seconds_text,
           (('cpu_ns', '%d', None), ('cpu_sec', '%d', whole_seconds))),
    Column('CPU(%)', 6, RIGHT, 'cpu_pct', 'tenths', pct_text, (('cpu_pct_x10', '%s', null),)),
    Column('MEM(%)', 6, RIGHT, 'mem_pct', 'tenths', pct_text, (('mem_pct_x10', '%s', null),)),
    Column('SSID', 4, RIGHT, 'ssidref', 'int', keys=(('ssid', '%d', None),)),
    Column('Pool', 4, RIGHT, 'cpupool', 'int', keys=(('cpupool', '%d', None),)),
    Column('UUID', 36, LEFT, 'handle', 'text', uuid_text, (('uuid', '"%s"', uuid_text),),
           widest=None),
)
# fmt: on


class Columns:
    """What table.py and jsonout.py need of a column list, made once from
    it: the titles, each cell's (record index, conv), the widening
    columns, a domain's JSON template and its values' (index, conv)."""

    def __init__(self, cols):
        ix = fields.FIELDS.index
        self.cols = cols
        self.titles = tuple([c.title for c in cols])
        self.least = tuple([c.width for c in cols])
        self.cells = tuple([(ix(c.field), c.text) for c in cols])
        self.widening = tuple(
            [
                (k, ix(c.field), c.widest, c.text, c.field in fields.MAYBE_NONE)
                for k, c in enumerate(cols)
                if c.widest is not None
            ]
        )
        keys = {}
        for c in cols:
            for k in c.keys:
                if k[0] in keys:
                    raise ValueError('JSON key %s twice' % k[0])
                keys[k[0]] = (k[1], k[2], ix(k[3] if len(k) > 3 else c.field))
        order = [k for k in JSON_V1_ORDER if k in keys]
        for c in cols:
            order += [k[0] for k in c.keys if k[0] not in JSON_V1_ORDER]
        self.json_keys = tuple(order)
        self.domain = '{%s}' % ','.join(['"%s":%s' % (k, keys[k][0]) for k in order])
        self.json_cells = tuple([(keys[k][2], keys[k][1]) for k in order])
        self._layout = None  # (widths, header, row format) of the last poll

    def widths(self, doms):
        """Each column's width for this poll: its least, or wider where the
        widest value's text needs it."""
        out = list(self.least)
        for at, i, widest, text, maybe_none in self.widening:
            if maybe_none:
                values = [d[i] for d in doms if d[i] is not None]
            else:
                values = [d[i] for d in doms]
            v = widest(values) if values else None
            if v is not None:
                n = len(str(v if text is None else text(v)))
                if n > out[at]:
                    out[at] = n
        return out

    def layout(self, widths):
        """(header, row_format) for a poll's widths: made again only when
        the widths change (a steady poll's never do)."""
        key = tuple(widths)
        last = self._layout
        if last is None or last[0] != key:
            last = self._layout = (key, self.header(widths), self.row_format(widths))
        return last[1], last[2]

    def header(self, widths):
        out = []
        for c, w in zip(self.cols, widths):
            pad = ' ' * (w - len(c.title))
            out.append(c.title + pad if c.align == LEFT else pad + c.title)
        return ' '.join(out).rstrip()

    def row_format(self, widths):
        """One %-format for every row of a poll (a last left-aligned column
        is not padded: no line ends in spaces)."""
        last = len(self.cols) - 1
        out = []
        for k, (c, w) in enumerate(zip(self.cols, widths)):
            if c.align == LEFT:
                out.append('%s' if k == last else '%%-%ds' % w)
            else:
                out.append('%%%ds' % w)
        return ' '.join(out)

    @staticmethod
    def each(doms, cells):
        """A tuple per record of doms (a list), in its order: the values of
        cells, (record index, conv) pairs (self.cells or self.json_cells).
        Made column by column over CHUNK records at a time: each conv runs
        in one tight comprehension and zip() makes the tuples (under
        MicroPython ~15 % faster than a tuple per record), and only CHUNK
        records' text is in the heap at once."""
        for a in range(0, len(doms), CHUNK):
            part = doms[a : a + CHUNK]
            yield from zip(
                *[[d[i] for d in part] if f is None else [f(d[i]) for d in part] for i, f in cells]
            )

    def json(self, d):
        """One record's JSON object."""
        return self.domain % tuple([d[i] if f is None else f(d[i]) for i, f in self.json_cells])


DECLARED = Columns(COLUMNS)
