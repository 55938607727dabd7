# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (the exporter is host-side CPython)
"""The exporter reads the columns the monitor declares (columns.COLUMNS):
its parser reads the rows by the monitor's own columns.py (linked into the
package, so that `pip install ./exporter` stands alone: a wheel holds its
content), the schema it names is the one the monitor prints, every
recorded console log still parses, a table the monitor makes (with a
column added, or one of an older monitor with fewer) reads back value for
value, and a domain reads the same from its row and its JSON object."""

import inspect
import os

from stubmon import abi, columns, jsonout, record, table
from stubmon.snapshot import Snapshot
from stubmon.columns import Column, Columns, COLUMNS, RIGHT
from stubmon_exporter import checks, consolelog, state
from stubmon_exporter import columns as exporters_columns
from stubmon_exporter.state import Monitor

import recs
from test_exporter_metrics import LOGS, Clock, feed_log, text_lines

CRASHED = abi.DOMINF_shutdown | (abi.SHUTDOWN_crash << abi.DOMINF_shutdownshift)


def test_the_exporter_reads_the_monitors_declaration():
    # the one file (a link in the tree), not a copy of it
    assert os.path.realpath(exporters_columns.__file__) == os.path.realpath(columns.__file__)
    assert consolelog.COLUMNS == [c.title for c in COLUMNS]
    assert consolelog.TITLE == {c.field: c.title for c in COLUMNS}


def test_the_exporter_names_the_schema_the_monitor_prints():
    assert consolelog.SCHEMA == jsonout.SCHEMA
    assert '{"schema":"%s"' % jsonout.SCHEMA in consolelog.__doc__
    assert jsonout.poll_line(Snapshot(1, 'x', 0, [])).startswith(consolelog.JSON_START)


def test_the_exporters_checks_know_only_declared_columns_and_keys():
    titles = set(c.title for c in COLUMNS)
    assert set(checks.ROW.required) | set(checks.ROW.optional) <= titles
    keys = set(columns.DECLARED.json_keys) | {"vcpu_list"}
    assert set(checks.DOMAIN.required) | set(checks.DOMAIN.optional) <= keys


def test_every_recorded_log_still_parses():
    names = sorted(n for n in os.listdir(LOGS) if n.endswith(".log"))
    assert len(names) >= 4
    for name in names:
        lines = text_lines(name)
        polls = [p for p in consolelog.polls(lines) if p.complete]
        objs = consolelog.json_lines([l for l in lines])
        assert polls or objs, name
        for p in polls:  # every column the log's title line names, stubmon/2's at least
            assert 11 <= p.columns <= len(COLUMNS), name
            for r in p.rows:
                assert sorted(r) == sorted(consolelog.COLUMNS[: p.columns]), (name, r)
        mon = feed_log(name)
        assert mon.polls and not {k for k in mon.parse_errors if k in ("table", "bad_value")}, (
            name,
            mon.parse_errors,
        )


def snapshot():
    doms = [
        recs.dom(0, abi.DOMINF_running, 16384, 0xFFFFFFFF, 1250000000, vcpus=2),
        recs.dom(1, abi.DOMINF_paused, 0, 4096, 0, vcpus=0),
        recs.dom(
            5, CRASHED, 256, 512, 7 * 10**9, ssid=12, pool=3, handle=bytes(range(0xA0, 0xB0))
        ),
    ]
    return recs.at_poll(doms, {0: 125, 1: 0})


def read_back(cols, doms):
    lines = list(table.format_poll(Snapshot(3, "4.20.4", 12000000000, doms), cols=cols))
    polls = consolelog.polls(lines)
    assert len(polls) == 1 and polls[0].complete, lines
    return polls[0], lines


def expected(c, d):
    """What the exporter must read from a column's text of record d."""
    v = d[record.FIELDS.index(c.field)]
    text = str(v if c.text is None else c.text(v))
    if c.read == "text":
        return text
    if text == "-":
        return None
    if c.read == "tenths":
        whole, tenth = text.split(".")
        return int(whole) * 10 + int(tenth)
    return int(text)


def test_a_table_the_monitor_makes_reads_back_value_for_value():
    doms = snapshot()
    poll, _ = read_back(columns.DECLARED, doms)
    assert poll.rows == [{c.title: expected(c, d) for c in COLUMNS} for d in doms]
    assert poll.rows[0]["MaxMem(MiB)"] is None and poll.rows[0]["Time(s)"] == 13
    assert poll.rows[1]["CPU(%)"] == 0 and poll.rows[2]["UUID"].startswith("a0a1a2a3-")


def test_a_column_added_at_the_right_is_passed_over():
    """A newer monitor's table (a column the exporter does not know yet)
    still reads, the known columns value for value."""
    doms = snapshot()
    added = Column(
        "Trial",
        5,
        RIGHT,
        "max_vcpu_id",
        "int",
        lambda v: v + 1,
        (("trial", "%d", lambda v: v + 1),),
    )
    poll, lines = read_back(Columns(COLUMNS + (added,)), doms)
    assert lines[2].split()[-1] == "Trial"
    assert poll.rows == [{c.title: expected(c, d) for c in COLUMNS} for d in doms]
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for l in lines:
        mon.feed(l)
    assert mon.parse_errors == {} and sorted(mon.domains) == [0, 1, 5]


def test_an_older_table_with_fewer_columns_reads_what_it_has():
    """An older monitor's table (its last columns not there yet): the rows
    read as far as the title line goes; the checks then say what is missing
    (the whole poll rejected as a bad value, never half of it)."""
    doms = snapshot()
    poll, lines = read_back(Columns(COLUMNS[:7]), doms)
    assert poll.rows == [{c.title: expected(c, d) for c in COLUMNS[:7]} for d in doms]
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for l in lines:
        mon.feed(l)
    assert mon.parse_errors == {"bad_value": 1} and mon.polls == 0


def test_a_row_not_as_wide_as_its_title_line_is_a_bad_row():
    doms = snapshot()
    lines = list(table.format_poll(Snapshot(3, "x", 0, doms)))
    lines[4] = lines[4] + " 7"
    mon = Monitor("h1", clock=Clock(), log=open(os.devnull, "w"))
    for l in lines:
        mon.feed(l)
    assert mon.parse_errors == {"table": 1} and mon.polls == 0


def test_a_domain_reads_the_same_from_its_row_and_its_json():
    """Every value the exporter keeps of a domain (state.DOMAIN_VALUES)
    comes alike from the monitor's row of a record and from its JSON object
    (whole MiB and tenths of a second: nothing rounded apart)."""
    doms = recs.at_poll(
        [
            recs.dom(0, abi.DOMINF_running, 16384, 0xFFFFFFFF, 1200000000, vcpus=2),
            recs.dom(1, abi.DOMINF_paused, 0, 4096, 0, vcpus=0),
            recs.dom(
                5, CRASHED, 256, 512, 7 * 10**9, ssid=12, pool=3, handle=bytes(range(0xA0, 0xB0))
            ),
        ],
        {0: 125, 1: 0},
    )
    poll, _ = read_back(columns.DECLARED, doms)
    (obj,) = consolelog.json_lines([jsonout.poll_line(Snapshot(3, "4.20.4", 12000000000, doms))])
    attrs = [v[0] for v in state.DOMAIN_VALUES]
    # every value a Domain is made of, in its order
    assert attrs == list(inspect.signature(state.Domain).parameters)
    rows = [state.domain_from_row(r) for r in poll.rows]
    objects = [state.domain_from_json(d) for d in obj["domains"]]
    assert [[getattr(d, a) for a in attrs] for d in rows] == [
        [getattr(d, a) for a in attrs] for d in objects
    ]
    assert [(d.domid, d.letters, d.status, d.mem_bytes, d.maxmem_bytes) for d in rows] == [
        (0, "r-----", "running", 64 << 20, None),
        (1, "--p---", "paused", 0, 16 << 20),
        (5, "---sc-", "crashed", 1 << 20, 2 << 20),
    ]
    assert [d.cpu_seconds for d in rows] == [1.2, 0.0, 7.0]
    assert (rows[2].ssid, rows[2].cpupool, rows[2].uuid[:9]) == (12, 3, "a0a1a2a3-")
