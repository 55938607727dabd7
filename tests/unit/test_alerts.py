# SPDX-License-Identifier: MIT
# alert= rules: parsing, and each rule firing once and clearing once.
from stubmon import abi
from stubmon import alerts

import recs
from stubmon import record as domain

RUN, BLK, PAU = abi.DOMINF_running, abi.DOMINF_blocked, abi.DOMINF_paused
CRASH = abi.DOMINF_shutdown | (abi.SHUTDOWN_crash << abi.DOMINF_shutdownshift)


def dom(domid, flags=BLK, tot=100, maxp=1000, handle=None):
    return recs.dom(domid, flags, tot, maxp, handle=handle)


def update(a, doms, poll, cpu=None):
    """Alerts.update on records carrying cpu ({domid: tenths}) at a poll."""
    return a.update(recs.at_poll(doms, cpu), poll)


def test_parse_rules():
    assert alerts.parse_rule('cpu>90') == ('cpu>90', 'cpu', 900)
    assert alerts.parse_rule('cpu>12.5') == ('cpu>12.5', 'cpu', 125)
    assert alerts.parse_rule('cpu>250') == ('cpu>250', 'cpu', 2500)  # several vCPUs
    assert alerts.parse_rule('mem>95') == ('mem>95', 'mem', 950)
    assert alerts.parse_rule('crashed') == ('crashed', 'crashed', 0)
    assert alerts.parse_rule('gone:5') == ('gone:5', 'gone', 5)
    assert alerts.parse_rule('gone:0') == ('gone:0', 'gone', 0)
    for bad in (
        'cpu>',
        'cpu>x',
        'cpu>1.25',
        'cpu<5',
        'mem>101',
        'mem>-1',
        'gone:',
        'gone:x',
        'crash',
        '',
        'cpu>.5',
        'cpu>5.',
    ):
        assert alerts.parse_rule(bad) is None, bad
    assert [r[0] for r in alerts.parse_rules('cpu>90,crashed')] == ['cpu>90', 'crashed']
    assert alerts.parse_rules('cpu>90,bogus') is None
    assert alerts.rules_text([]) == 'none'
    assert alerts.rules_text(alerts.parse_rules('crashed,gone:2')) == 'crashed,gone:2'


def test_cpu_fires_once_clears_once():
    a = alerts.Alerts(alerts.parse_rules('cpu>50'))
    d = [dom(0)]
    assert update(a, d, True, {0: None}) == []  # no figure yet
    assert update(a, d, True, {0: 500}) == []  # 50.0 is not above 50
    assert update(a, d, True, {0: 501}) == [(0, 'cpu>50', 'firing', 'CPU 50.1%')]
    assert update(a, d, True, {0: 900}) == []  # still holds: said once
    assert update(a, d, False) == []  # event listings do not judge CPU
    assert update(a, d, True, {0: 12}) == [(0, 'cpu>50', 'cleared', 'CPU 1.2%')]
    assert update(a, d, True, {0: 12}) == []


def test_mem_is_tot_over_max():
    a = alerts.Alerts(alerts.parse_rules('mem>95'))
    assert update(a, [dom(1, tot=950, maxp=1000)], True, {}) == []
    assert update(a, [dom(1, tot=951, maxp=1000)], True, {}) == [
        (1, 'mem>95', 'firing', 'mem 95.1% of max')
    ]
    assert update(a, [dom(1, tot=10, maxp=1000)], True, {}) == [
        (1, 'mem>95', 'cleared', 'mem 1.0% of max')
    ]
    # an unlimited maximum never holds
    assert update(a, [dom(2, tot=10**6, maxp=0xFFFFFFFF)], True, {}) == []


def test_crashed_fires_at_event_listing_and_clears_when_gone():
    a = alerts.Alerts(alerts.parse_rules('crashed'))
    assert update(a, [dom(0, RUN), dom(2)], True, {}) == []
    assert update(a, [dom(0, RUN), dom(2, CRASH)], False) == [
        (2, 'crashed', 'firing', 'state ---sc-')
    ]
    assert update(a, [dom(0, RUN), dom(2, CRASH)], True, {}) == []
    assert update(a, [dom(0, RUN)], False) == [(2, 'crashed', 'cleared', 'gone')]
    assert update(a, [dom(0, RUN)], True, {}) == []


def test_crashed_clears_when_restarted():
    a = alerts.Alerts(alerts.parse_rules('crashed'))
    update(a, [dom(3, CRASH)], True, {})
    assert update(a, [dom(3, RUN)], True, {}) == [(3, 'crashed', 'cleared', 'state r-----')]


def test_gone_counts_polls_and_clears_when_back_by_uuid():
    u = bytes(range(1, 17))
    a = alerts.Alerts(alerts.parse_rules('gone:2'))
    assert update(a, [dom(0), dom(5, handle=u)], True, {}) == []
    assert update(a, [dom(0)], False) == []  # vanished: an event listing
    assert update(a, [dom(0)], True, {}) == []  # 1 poll without it
    assert update(a, [dom(0)], True, {}) == [
        (5, 'gone:2', 'firing', 'missing from 2 polls, was blocked')
    ]
    assert update(a, [dom(0)], True, {}) == []
    # xl's reboot: a new ID, the same UUID
    assert update(a, [dom(0), dom(9, handle=u)], True, {}) == [
        (5, 'gone:2', 'cleared', 'back as domain 9')
    ]
    assert update(a, [dom(0), dom(9, handle=u)], True, {}) == []


def test_gone_back_in_time_says_nothing():
    u = bytes(range(1, 17))
    a = alerts.Alerts(alerts.parse_rules('gone:3'))
    update(a, [dom(4, handle=u)], True, {})
    assert update(a, [], True, {}) == []
    assert update(a, [dom(6, handle=u)], True, {}) == []  # rebooted within 3 polls
    assert update(a, [dom(6, handle=u)], True, {}) == []


def test_gone_without_uuid_is_by_id_and_gone_0_at_once():
    a = alerts.Alerts(alerts.parse_rules('gone:0,gone:1'))
    update(a, [dom(0), dom(1), dom(2)], True, {})
    out = update(a, [dom(0), dom(2)], False)
    assert out == [(1, 'gone:0', 'firing', 'missing from 0 polls, was blocked')]
    assert update(a, [dom(0), dom(2)], True, {}) == [
        (1, 'gone:1', 'firing', 'missing from 1 poll, was blocked')
    ]
    out = update(a, [dom(0), dom(1), dom(2)], True, {})
    assert sorted(out) == [
        (1, 'gone:0', 'cleared', 'back as domain 1'),
        (1, 'gone:1', 'cleared', 'back as domain 1'),
    ]


def test_no_rules_no_work():
    a = alerts.Alerts([])
    assert update(a, [dom(0, CRASH)], True, {0: 1000}) == []


def test_alert_line():
    assert (
        alerts.alert_line(3251000000, 2, 'crashed', 'firing', 'state ---sc-')
        == 'stubmon ALERT 3.251s: domain 2 crashed firing (state ---sc-)'
    )


def test_gone_forgets_the_oldest_vanished_past_the_bound_and_says_so():
    old = alerts.MAX_MISSING
    alerts.MAX_MISSING = 4
    try:
        a = alerts.Alerts(alerts.parse_rules('gone:5'))
        update(a, [dom(i) for i in range(7)], True, {})
        update(a, [dom(0), dom(4), dom(5), dom(6)], True, {})  # 1, 2, 3 vanish
        assert a.said == []
        update(a, [dom(0)], True, {})  # 4, 5, 6 too: 6 > 4
        assert a.said == [
            'stubmon: alert gone: more than 4 vanished domains; forgot the 2 '
            'that vanished first (2 forgotten since start), their gone: alerts too'
        ]
        assert len(a.missing) == 4 and a.forgotten == 2
        assert sorted(v[0] for v in a.missing.values()) == [3, 4, 5, 6]
    finally:
        alerts.MAX_MISSING = old
