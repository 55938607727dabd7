# SPDX-License-Identifier: MIT
# What the monitor does between polls, as stats= says it (sleeps, blocks,
# wakes by a domain event, early wakes, watchdog kicks): with nothing
# happening, one sleep and one block an interval and one kick a poll.
import xen  # the fake

from apprun import run

MS = 1000000


def counts(lines):
    out = []
    for l in lines:
        if l.startswith('stubmon: stats '):
            kv = dict(w.split('=') for w in l.split()[2:])
            out.append({k: int(kv[k]) for k in ('sleeps', 'blocks', 'wakes', 'early', 'kicks')})
    return out


def test_an_idle_interval_is_one_sleep_one_block_and_kicks_are_rare():
    lines, _, st = run('interval=1 count=8 watchdog=5 stats=1 exit=qemu')
    c = counts(lines)
    assert len(c) == 8, lines
    d = [{k: b[k] - a[k] for k in a} for a, b in zip(c, c[1:])]
    for x in d:
        assert (x['sleeps'], x['blocks'], x['wakes'], x['early']) == (1, 1, 0, 0), d
    # a kick after the polls by which the next poll's end would be half
    # the timeout (2.5 s) from the last kick: polls 3, 5 and 7
    assert [x['kicks'] for x in d] == [0, 0, 1, 0, 1, 0, 1], d
    arm = st.watchdog_at[0]
    assert [t - arm for t in st.watchdog_at] == [0, 2000 * MS, 4000 * MS, 6000 * MS]
    kicked = [int(l.split('kicked_us=')[1].split()[0]) for l in lines if 'kicked_us=' in l]
    assert kicked[3] * 1000 == st.watchdog_at[1]  # poll 4 says when poll 3 kicked


def test_a_long_sleep_kicks_by_half_the_timeout_after_the_last_kick():
    lines, _, st = run('interval=60 count=2 watchdog=10 exit=qemu')
    gaps = [b - a for a, b in zip(st.watchdog_at, st.watchdog_at[1:])]
    assert len(gaps) >= 11 and max(gaps) <= 5000 * MS, gaps


def test_a_domain_event_is_counted_as_a_wake():
    def setup(st):
        st.early_wakes = 1  # VIRQ_DOM_EXC half way to poll 2

    lines, _, _ = run('interval=1 count=3 stats=1 exit=qemu', setup)
    c = counts(lines)
    assert c[1]['wakes'] - c[0]['wakes'] == 1
    assert xen.st.sleeps[2] == 1
