# SPDX-License-Identifier: MIT
# loop.Waker, the one sleep of the monitor's polls and of stubmon.sleep():
# the deadline is kept, early wakes are bounded per interval and spaced,
# and Xen's watchdog is kicked on long sleeps. A scripted clock stands in
# for Xen: events arrive at the times given, sleep_until jumps the clock.
from stubmon import loop

MS = 1000000


class Clock:
    """xen.time_ns / xen.sleep_until over a list of event times (ns)."""

    def __init__(self, events=(), cost=0):
        self.now = 0
        self.events = sorted(events)
        self.cost = cost  # ns a listing takes
        self.sleeps = 0

    def time_ns(self):
        return self.now

    def sleep_until(self, deadline, events=True):
        self.sleeps += 1
        pending = [e for e in self.events if e <= deadline]
        if events and pending:
            self.now = max(self.now, pending[0])
            self.events = [e for e in self.events if e > self.now]
            return True
        self.now = max(self.now, deadline)
        return False


def listings(clock, w, deadline, gap):
    at = []

    def listing():
        at.append(clock.now)
        clock.now += clock.cost

    w.sleep(deadline, gap, listing)
    return at


def test_no_events_one_sleep_to_the_deadline():
    c = Clock()
    w = loop.Waker(c, 8)
    assert listings(c, w, 1000 * MS, 125 * MS) == []
    assert c.now == 1000 * MS and c.sleeps == 1


def test_an_event_is_listed_at_once():
    c = Clock([300 * MS])
    w = loop.Waker(c, 8)
    assert listings(c, w, 1000 * MS, 125 * MS) == [300 * MS]
    assert c.now == 1000 * MS


def test_a_storm_is_bounded_and_spaced_and_the_deadline_kept():
    c = Clock(range(1, 1000 * MS, MS), cost=MS)  # an event every millisecond
    w = loop.Waker(c, 8)
    storms = []
    at = []

    def listing():
        at.append(c.now)
        c.now += c.cost

    w.sleep(1000 * MS, 125 * MS, listing, lambda: storms.append(c.now))
    assert len(at) == 8 and len(storms) == 1
    assert all(b - a >= 125 * MS for a, b in zip(at, at[1:])), at
    assert c.now == 1000 * MS  # not a moment later
    assert w.new_interval() == 8 and w.listings == 0


def test_no_listing_runs_into_the_deadline():
    c = Clock([990 * MS], cost=50 * MS)
    w = loop.Waker(c, 8)
    w.listing_ns = 50 * MS  # the last listing took this long
    assert listings(c, w, 1000 * MS, 125 * MS) == []
    assert c.now == 1000 * MS


def test_no_bound_for_a_script_only_the_gap():
    c = Clock(range(0, 1000 * MS, 10 * MS))
    w = loop.Waker(c, None)
    at = listings(c, w, 1000 * MS, 100 * MS)
    assert len(at) == 10 and at[1] - at[0] >= 100 * MS


def test_a_long_sleep_wakes_to_kick_the_watchdog():
    c = Clock()
    kicks = []
    w = loop.Waker(c, 8, lambda: kicks.append(c.now))
    w.watchdog_ns = 10000 * MS
    listings(c, w, 60000 * MS, 125 * MS)
    assert c.now == 60000 * MS
    assert len(kicks) >= 11 and all(b - a <= 5000 * MS for a, b in zip(kicks, kicks[1:]))
