# SPDX-License-Identifier: MIT
# view= and sort=: which rows a poll prints, the row budget, and the
# automatic switch to changes said once each way.
from recs import dom
from stubmon import jsonout
from stubmon import options
from stubmon import view


def opts(line):
    o, msgs = options.parse(line)
    assert msgs == [], msgs
    return o


def doms(n, cpu=None, tot=None):
    return [dom(i, tot=(tot or {}).get(i, 0), cpu_pct=(cpu or {}).get(i, 0)) for i in range(n)]


def obj(o):
    """The view's keys and values as the dict its JSON text is."""
    import json

    return json.loads(jsonout.dumps(jsonout.Ordered(*o)))


def ids(rows):
    return [d.domid for d in rows]


def test_row_budget_from_interval_and_baud():
    # half of what 115200 baud (11520 bytes/s) carries in 3 s, 110-byte rows
    assert view.row_budget(3000, 115200) == 157
    assert view.row_budget(1000, 115200) == 52
    assert view.row_budget(3000, 9600) == 13
    assert view.row_budget(100, 300) == 1  # never none at all
    assert view.row_budget(3000, 0) is None  # baud=0: no budget


def test_highest_matches_a_stable_sort():
    seed = 7
    for trial in range(20):
        keys = []
        for i in range(60):  # a small LCG: the CORE build has no random module
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            keys.append((seed >> 16) % 5)
        rows = [dom(i, cpu_pct=k) for i, k in enumerate(keys)]
        want = sorted(rows, key=lambda d: (-d.cpu_pct, d.domid))[:8]
        assert ids(view.highest(rows, 8, view._cpu)) == ids(want)


def test_highest_of_sorted_input_keeps_id_order_on_ties():
    rows = doms(1000)  # every key 0: the first n by domid
    assert ids(view.highest(rows, 5, view._cpu)) == [0, 1, 2, 3, 4]


def test_auto_shows_all_while_it_fits():
    said = []
    v = view.View(opts('interval=3'), said.append)
    rows, line, js = v.pick(doms(10), None)
    assert ids(rows) == list(range(10)) and line is None and js is None and said == []


def test_auto_switches_once_each_way():
    said = []
    v = view.View(opts('interval=1 baud=9600'), said.append)  # budget 4
    assert v.budget == 4
    big = doms(10)
    rows, line, js = v.pick(big, big)
    assert ids(rows) == [0, 1, 2, 3]
    assert line == (
        'stubmon view: changes: 10 of 10 domains changed since the previous '
        'poll; the first 4 by id shown, 6 left out'
    )
    assert obj(js) == {
        'mode': 'changes',
        'sort': 'id',
        'shown': 4,
        'of': 10,
        'changed': 10,
        'left_out': 6,
    }
    rows, line, js = v.pick(big, [big[7]])
    assert ids(rows) == [7] and line.endswith('1 of 10 domains changed since the previous poll')
    assert obj(js)['left_out'] == 0
    assert said == [
        'stubmon: view: 10 domains are more rows than the console carries (about 4 '
        'a poll: half of a 1 s interval at baud=9600); showing the rows that change '
        '(view=changes), at most 4 a poll; view=all shows every row'
    ]
    v.pick(doms(3), [])
    v.pick(doms(3), [])
    assert said[1:] == ['stubmon: view: 3 domains fit the console again; showing every row']


def test_changes_by_cpu_puts_the_busiest_first():
    v = view.View(opts('view=changes sort=cpu interval=1 baud=9600'), print)
    big = doms(10, cpu={3: 50, 8: 900, 1: 50})
    rows, line, js = v.pick(big, big)
    # view=changes asked for: no cap (the cap is auto's)
    assert ids(rows)[:3] == [8, 1, 3] and len(rows) == 10
    assert line == 'stubmon view: changes: 10 of 10 domains changed since the previous poll'


def test_top_n_by_cpu_and_by_mem():
    big = doms(20, cpu={4: 10, 9: 300}, tot={2: 5000, 6: 9000})
    rows, line, js = view.View(opts('view=top:3'), print).pick(big, None)
    assert ids(rows) == [9, 4, 0] and line == 'stubmon view: top 3 of 20 domains by cpu'
    assert obj(js) == {
        'mode': 'top',
        'sort': 'cpu',
        'shown': 3,
        'of': 20,
        'changed': None,
        'left_out': 0,
    }
    rows, line, js = view.View(opts('view=top:2 sort=mem'), print).pick(big, None)
    assert ids(rows) == [6, 2] and line == 'stubmon view: top 2 of 20 domains by mem'


def test_all_sorted_says_its_order():
    big = doms(4, tot={1: 10, 3: 30})
    rows, line, js = view.View(opts('view=all sort=mem'), print).pick(big, None)
    assert ids(rows) == [3, 1, 0, 2] and line == 'stubmon view: all 4 domains, by mem'


def test_all_is_every_row_past_the_budget():
    big = doms(500)
    said = []
    rows, line, js = view.View(opts('view=all'), said.append).pick(big, [])
    assert rows is big and line is None and said == []
