# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (the exporter is host-side CPython with prometheus_client)
"""What a guest sharing the Xen console can make stubmon-exporter believe
(docs/security.md, "The exporter's input"). Xen prints every line a domU
writes to its console (console_io, port 0xE9) as "(dN) text", and its own
as "(XEN) text"; the exporter reads only unprefixed lines (dom0's). A
guest's line, whatever it imitates and wherever it lands (whole, inside a
monitor line, twice inside a torn JSON line), must change nothing."""

import json

import pytest

from stubmon_exporter import consolelog
from stubmon_exporter.state import Monitor
from test_exporter_metrics import Clock, feed_log, samples, text_lines

TABLE_LOG = "x86_64-demo-changes.log"
BOTH_LOG = "arm64-crash-table+json.log"  # dom0's monitor next to four prefixed domUs
PREFIXES = ["(d5) ", "(d5) [    1.000000] ", "(XEN) ", "(XEN) [    1.000000] (d5) ", "(d12) (d0) "]
UUID = "00000000-0000-0000-0000-000000000000"
FORGED_ROW = "    9 r-----         999         999     1      9.9    9.9    9.9    0    0 " + UUID
FORGED_POLL = {
    "schema": "stubmon/1",
    "type": "poll",
    "uptime_ms": 99000,
    "poll": 99,
    "xen": "forged",
    "host": None,
    "summary": None,
    "domains": [
        {
            "id": 9,
            "state": "r-----",
            "cpu_ns": 9,
            "mem_k": 999,
            "vcpus": 1,
            "maxmem_k": None,
            "ssid": 0,
            "cpupool": 0,
            "uuid": UUID,
        }
    ],
}
# a whole poll, an event, an alert, an error, Xen's log: each as the monitor prints it
FORGERIES = {
    "table": [
        "stubmon poll 99: xen forged, uptime 99.0s, 1 domains",
        "stubmon domains: 1 domains: 1 running, 0 blocked, 0 paused, 0 crashed, "
        "0 dying, 0 shutdown",
        "   ID State     Mem(MiB) MaxMem(MiB) VCPUs  Time(s) CPU(%) MEM(%) SSID Pool UUID",
        FORGED_ROW,
        "stubmon poll 99 end",
    ],
    "json": [json.dumps(FORGED_POLL, separators=(",", ":"))],
    "event": [
        "stubmon event 99.000s: domain 0 gone (was running)",
        '{"schema":"stubmon/1","type":"event","uptime_ms":99000,"domain":0,'
        '"event":"gone","from":"running","to":null}',
    ],
    "alert": ["stubmon ALERT 99.000s: domain 0 crashed firing (state --c---)"],
    "error": ["stubmon: error in poll 99: RuntimeError: forged"],
    "xenlog": [
        "stubmon xenlog: forged",
        "stubmon: xenlog: 1 bytes of Xen's log lost (99999 since start)",
    ],
}


def reading(lines):
    mon = Monitor("h1", clock=Clock(), log=Log())
    for line in lines:
        mon.feed(line)
    return mon


class Log:
    def __init__(self):
        self.lines = []

    def write(self, text):
        if text.strip():
            self.lines.append(text)


def served(mon):
    """What /metrics serves, but for the count of lines read."""
    return {k: v for k, v in samples(mon).items() if k[0] != "stubmon_exporter_lines_total"}


def test_recorded_domU_lines_come_prefixed_and_change_nothing():
    """A real arm64 boot: dom0's monitor prints unprefixed; the four
    dom0less domUs run the same image and Xen prefixes each of their lines
    with (dN). Read with or without those lines, the metrics are the same."""
    lines = text_lines(BOTH_LOG)
    guest = [l for l in lines if consolelog.FOREIGN.match(l) and l.startswith("(d")]
    assert {consolelog.GUEST_PREFIX.match(l).group(1) for l in guest} == {"1", "2", "3", "4"}
    assert any(l.startswith("stubmon poll 1: ") for l in lines), "dom0's lines: unprefixed"
    assert (
        [l for l in lines if "stubmon guest: hello" in l]
        == [l for l in guest if "stubmon guest: hello" in l]
        != []
    )
    alone = [l for l in lines if not consolelog.FOREIGN.match(l)]
    assert served(reading(lines)) == served(reading(alone))


@pytest.mark.parametrize("kind", sorted(FORGERIES))
@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_guest_line_imitating_the_monitor_is_not_believed(kind, prefix):
    lines = text_lines(TABLE_LOG)
    before = served(reading(lines))
    mon = reading(lines + [prefix + f for f in FORGERIES[kind]])
    assert mon.parse_errors == {}
    assert served(mon) == before


def test_the_same_lines_unprefixed_are_believed():
    """The forgeries above are what dom0 (the monitor) prints: without the
    prefix they are read. Whoever prints unprefixed is trusted."""
    lines = text_lines(TABLE_LOG)
    mon = reading(lines + FORGERIES["table"])
    assert sorted(mon.domains) == [9] and mon.xen == "forged"
    mon = reading(lines + FORGERIES["json"])
    assert sorted(mon.domains) == [9] and mon.poll_number == 99
    mon = reading(lines + FORGERIES["event"][:1])
    assert 0 not in mon.domains


def test_guest_rows_inside_a_table_are_passed_over():
    """A guest's line between a table's header and its end (Xen prints it
    whenever the guest writes): the poll is read as if it were not there."""
    lines = text_lines(TABLE_LOG)
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("0 r-----"))
    cut = lines[:at] + ["(d5) " + FORGED_ROW, "(d5) stubmon poll 3 end"] + lines[at:]
    mon = reading(cut)
    assert mon.parse_errors == {}
    assert served(mon) == served(reading(lines))


def test_a_guest_line_shaped_like_a_row_drops_no_poll():
    """Without Xen's timestamps a guest's line is "(d5) text": the text
    "r----- 1 1 1 1.0 - 1.0 0 0 UUID" made it a row with an ID of "(d5)"
    that failed to parse, and the poll it landed in was dropped."""
    lines = text_lines(TABLE_LOG)
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("0 r-----"))
    cut = lines[:at] + ["(d5) r----- 1 1 1 1.0 - 1.0 0 0 " + UUID] + lines[at:]
    mon = reading(cut)
    assert mon.parse_errors == {}
    assert served(mon) == served(reading(lines))


def test_a_guest_line_not_in_utf8_is_not_counted_as_noise():
    """Xen passes a guest's Latin-1 (\xe9 is printable to it): that is not
    noise on the monitor's line, and no skipped-lines alert may fire for it.
    Bytes of ours that are not UTF-8 still count."""
    raw = [l.encode() for l in text_lines(TABLE_LOG)]
    mon = Monitor("h1", clock=Clock(), log=Log())
    for line in raw + [
        b"(d5) caf\xe9",
        b"stubmon ev(d5) \xe9t\xe9",
        b"ent 7.000s: domain 0 running -> blocked",
    ]:
        mon.feed_bytes(line)
    assert mon.parse_errors == {} and mon.events["changed"] == 1
    mon.feed_bytes(b"stubmon \xff(d5) x")
    mon.feed_bytes(b"\xff")
    assert mon.parse_errors == {"encoding": 2}


def cut_into(line, at, guest_lines):
    """`line` of ours with the guest's lines landed at `at` (on several
    CPUs Xen prints a guest's whole line between two pieces of ours)."""
    return [line[:at] + guest_lines[0]] + guest_lines[1:] + [line[at:]]


def test_a_guest_line_inside_a_table_row_mends_ours_and_is_not_believed():
    lines = text_lines(TABLE_LOG)
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("0 r-----"))
    row = lines[at]
    # the guest's text is a forged rest of the row: a memory of 999 MiB
    forged = [
        "(d5)          999         999     1      9.9    9.9    9.9    0    0 " + UUID,
        "(d5) " + FORGED_ROW,
    ]
    mon = reading(lines[:at] + cut_into(row, 20, forged) + lines[at + 1 :])
    assert mon.parse_errors == {}
    assert served(mon) == served(reading(lines))


def test_a_guest_line_inside_an_event_or_alert_line_is_not_believed():
    lines = text_lines(TABLE_LOG)
    at = next(i for i, l in enumerate(lines) if l.startswith("stubmon event "))
    event = lines[at]
    cut = (
        lines[:at]
        + cut_into(event, len("stubmon event 4.094s: domain "), ["(d5) 0 gone (was running)"])
        + lines[at + 1 :]
    )
    at = next(i for i, l in enumerate(cut) if l.startswith("stubmon ALERT "))
    cut = cut[:at] + cut_into(cut[at], 30, ["(d5) 0 crashed firing (x)"]) + cut[at + 1 :]
    mon = reading(cut)
    assert mon.parse_errors == {}
    assert served(mon) == served(reading(lines))


def json_poll_line(lines):
    return next(
        i for i, l in enumerate(lines) if l.startswith('{"schema":') and '"type":"poll"' in l
    )


@pytest.mark.parametrize("second", ["(d5) ", "(XEN) [    1.000000] (d5) "])
def test_two_guest_lines_inside_a_json_line_complete_nothing(second):
    """A guest's line cuts one of the monitor's JSON lines; the guest's
    next line, before the rest of ours, tries to complete the object: the
    string it cut closed, then a forged domain list. Before the fix the
    reader took any line after the cut as our rest and believed it."""
    lines = text_lines(BOTH_LOG)
    at = json_poll_line(lines)
    whole = lines[at]
    obj = json.loads(whole)
    cut = whole.index('"xen":"') + len('"xen":"4.2')  # inside a string
    rest = json.dumps(FORGED_POLL["domains"], separators=(",", ":"))
    forged = second + '0.5-pre","host":null,"summary":null,"domains":' + rest + "}"
    assert json.loads(whole[:cut] + forged[len(second) :])["domains"][0]["id"] == 9
    torn = (
        lines[:at]
        + cut_into(whole, cut, ["(d3) [    1.000000] hello", forged])
        + lines[at + 1 : at + 2]
    )
    mon = reading(torn)
    assert mon.parse_errors == {}
    assert mon.poll_number == obj["poll"] and mon.xen == obj["xen"]
    assert sorted(mon.domains) == [d["id"] for d in obj["domains"]]
    # the batch reader the tests use agrees
    objs = consolelog.json_lines(torn)
    assert [o for o in objs if o["type"] == "poll"][-1] == obj


def test_a_domU_monitor_on_the_xen_console_is_not_read():
    """A monitor in a domU writing to Xen's console comes out prefixed:
    the exporter passes all of it over (read its ring instead: xenconsoled's
    log or `xl console`, where only that domain writes)."""
    lines = ["(d4) [    1.000000] " + l for l in text_lines(TABLE_LOG)]
    mon = reading(lines)
    assert mon.polls == 0 and mon.domains == {} and mon.parse_errors == {}
    assert feed_log(TABLE_LOG).polls > 0
