# SPDX-License-Identifier: MIT
# What the monitor does between polls, as stats= says it (sleeps, blocks,
# wakes by a domain event, early wakes, watchdog kicks): with nothing
# happening, one sleep and one block an interval and one kick a poll.
import xen  # the fake

from apprun import run


def counts(lines):
    out = []
    for l in lines:
        if l.startswith('stubmon: stats '):
            kv = dict(w.split('=') for w in l.split()[2:])
            out.append({k: int(kv[k]) for k in ('sleeps', 'blocks', 'wakes', 'early', 'kicks')})
    return out


def test_an_idle_interval_is_one_sleep_one_block_one_kick():
    lines, _, _ = run('interval=1 count=4 stats=1 exit=qemu')
    c = counts(lines)
    assert len(c) == 4, lines
    for a, b in zip(c[1:], c[2:]):
        d = {k: b[k] - a[k] for k in a}
        assert d == {'sleeps': 1, 'blocks': 1, 'wakes': 0, 'early': 0, 'kicks': 1}, (a, b)


def test_a_domain_event_is_counted_as_a_wake():
    def setup(st):
        st.early_wakes = 1  # VIRQ_DOM_EXC half way to poll 2

    lines, _, _ = run('interval=1 count=3 stats=1 exit=qemu', setup)
    c = counts(lines)
    assert c[1]['wakes'] - c[0]['wakes'] == 1
    assert xen.st.sleeps[2] == 1
