# SPDX-License-Identifier: MIT
"""view= on real Xen: at 1000 demo domains view=auto switches to changes by
itself (the rows a 115200-baud console carries in a 3 s interval: 157) and
back once they are gone, saying so once each way; mass events are held to
the same budget and counted; view=top:N sort=mem picks and orders the rows.
The table and the JSON line (validated against the schema) agree."""

import pytest

import boot
from stubmon_exporter import consolelog
from test_json_alerts import validator

BUDGET = 157  # view.row_budget(3000, 115200)
AUTO_ARGS = "demo=999 demo_keep=3 interval=3 count=4 format=table+json exit=qemu"
# arm64 dom0less: domUs of 24, 40 and 32 MiB next to a 64 MiB dom0, all staying
TOP_DOMUS = [{"mem_mib": m, "vcpus": 1, "args": "role=guest end=stay"} for m in (24, 40, 32)]
TOP_ARGS = "interval=1 count=3 view=top:3 sort=mem format=table+json exit=qemu"


@pytest.fixture(scope="module")
def auto(image):
    image("x86_64")
    res = boot.boot("x86_64", "4.20", AUTO_ARGS, timeout=300)
    assert res.guest_exit == 0, res.text[-3000:]
    return res


def polls_and_json(res):
    polls = consolelog.polls(res.lines)
    v = validator()
    objs = [o for o in consolelog.json_lines(res.lines) if o["type"] == "poll"]
    for o in objs:
        v.validate(o)
    assert [o["poll"] for o in objs] == [p.number for p in polls]
    return polls, objs


def test_auto_switches_to_changes_and_back_once(auto):
    said = [l for l in auto.lines if l.startswith("stubmon: view: ")]
    assert said == [
        "stubmon: view: 1000 domains are more rows than the console carries (about 157 a "
        "poll: half of a 3 s interval at baud=115200); showing the rows that change "
        "(view=changes), at most 157 a poll; view=all shows every row",
        "stubmon: view: 1 domains fit the console again; showing every row",
    ], said
    first_poll = auto.lines.index(next(l for l in auto.lines if l.startswith("stubmon poll 1:")))
    assert auto.lines.index(said[0]) < first_poll


def test_first_poll_is_the_budget_of_new_rows(auto):
    polls, objs = polls_and_json(auto)
    first = polls[0]
    assert first.summary["domains"] == 1000 and first.summary["paused"] == 999
    assert first.ids() == list(range(BUDGET))
    assert first.view == (
        "changes: 1000 of 1000 domains changed since the previous poll; "
        "the first 157 by id shown, 843 left out"
    )
    assert objs[0]["view"] == {
        "mode": "changes",
        "sort": "id",
        "shown": BUDGET,
        "of": 1000,
        "changed": 1000,
        "left_out": 1000 - BUDGET,
    }
    assert [d["id"] for d in objs[0]["domains"]] == first.ids()


def test_unchanged_domains_are_not_printed(auto):
    polls, objs = polls_and_json(auto)
    for p, o in zip(polls[1:3], objs[1:3]):
        # the 999 paused demo domains do not move; dom0 (running the poll) does
        assert p.summary["domains"] == 1000
        assert 1 <= len(p.rows) < 10 and 0 in p.ids(), p.ids()
        assert p.view == "changes: %d of 1000 domains changed since the previous poll" % len(
            p.rows
        )
        assert o["view"]["changed"] == len(p.rows) and o["view"]["left_out"] == 0
        assert [d["id"] for d in o["domains"]] == p.ids()


def test_mass_events_held_to_the_budget_and_counted(auto):
    gone = [e for e in consolelog.events(auto.lines) if e[2] == "gone (was paused)"]
    counted = [l for l in auto.lines if " more domain changes at " in l]
    assert len(counted) == 1, counted
    more = int(counted[0].split()[2])
    assert len(gone) == BUDGET and len(gone) + more == 999, (len(gone), counted)
    assert counted[0].endswith(
        "not shown (the console carries about 157 lines a poll; baud=0 shows every one)"
    )


def test_after_the_destroy_every_row_again(auto):
    polls, objs = polls_and_json(auto)
    last = polls[-1]
    assert last.number == 4 and last.ids() == [0] and last.view is None
    assert "view" not in objs[-1]


def test_top_n_by_memory_on_arm64(image):
    image("arm64")
    res = boot.boot("arm64", "4.20", TOP_ARGS, timeout=180, domus=TOP_DOMUS, dom0_mem_mib=64)
    assert res.guest_exit == 0, res.text[-3000:]
    polls, objs = polls_and_json(res)
    assert len(polls) == 3
    for p, o in zip(polls, objs):
        assert p.summary["domains"] == 4
        assert p.ids() == [0, 2, 3], p.ids()  # 64, 40, 32 MiB; the 24 MiB one left out
        assert [r["MaxMem(MiB)"] for r in p.rows] == [64, 40, 32]
        assert p.view == "top 3 of 4 domains by mem"
        assert o["view"] == {
            "mode": "top",
            "sort": "mem",
            "shown": 3,
            "of": 4,
            "changed": None,
            "left_out": 0,
        }
        assert [d["id"] for d in o["domains"]] == [0, 2, 3]
