# SPDX-License-Identifier: MIT
# The one sleep of every loop (the monitor's polls, stubmon.sleep() in a
# script): to a deadline on Xen's clock, the vCPU blocked in Xen, woken
# early by a domain event (VIRQ_DOM_EXC) to list the domains. Listings are
# bounded per interval and spaced out, so an event storm can neither spin
# the monitor nor push the deadline back; events past the bound stay
# pending, and the next listing shows their net changes.


class Waker:
    def __init__(self, xen, most, kick=None):
        """most: listings per interval at most (None: no bound, only the
        gap); kick: kicks Xen's watchdog (kick_due() says when)."""
        self.xen = xen
        self.most = most
        self.kick = kick or (lambda: None)
        self.watchdog_ns = 0  # armed: kicked by half this after the last kick
        self.kicked = 0  # Xen time of the last kick (or of arming)
        self.listings = 0  # in this interval (new_interval() resets it)
        self.total = 0  # since start
        self.storms = 0  # intervals whose listings ran out
        self.next_listing = 0  # Xen time before which no listing starts
        self.listing_ns = 0  # how long the last listing took

    def kick_due(self, now, ahead):
        """Kick Xen's watchdog now unless, `ahead` ns on (when the next
        chance to kick comes), it would still be under half its timeout
        since the last kick: kicks stay well inside the timeout, and rare
        (at the defaults, interval 3 and 30 s, one in four polls)."""
        if self.watchdog_ns and now - self.kicked + ahead >= self.watchdog_ns // 2:
            self.kick()
            self.kicked = now

    def new_interval(self):
        """Returns the listings of the interval that ends."""
        n, self.listings = self.listings, 0
        return n

    def sleep(self, deadline, gap, on_event, on_storm=None):
        """Sleep to the deadline; at a domain event call on_event() (its
        errors are its own), at most `most` times in this interval and
        `gap` ns apart, never running into the deadline; on_storm() when
        the last allowed listing starts. A False return of
        xen.sleep_until is Xen's timer saying the deadline has come: trust
        it over our own clock reading, or a small skew would make us spin."""
        xen = self.xen
        while True:
            now = xen.time_ns()
            until = deadline
            due = self.kicked + self.watchdog_ns // 2 if self.watchdog_ns else deadline
            if due < until:
                until = max(due, now)  # wake to kick it
            earliest = max(now, self.next_listing)  # when a listing may start
            can_list = (
                self.most is None or self.listings < self.most
            ) and earliest + self.listing_ns < deadline
            if can_list and earliest <= now:
                woke = xen.sleep_until(until)
            else:
                # no listing may start now: sleep through events until one may
                if can_list and earliest < until:
                    until = earliest
                xen.sleep_until(until, False)
                woke = False
                if until == earliest:
                    self.next_listing = 0  # Xen's timer says it is time
            if not woke:
                if until == deadline:
                    return
                if until >= due:  # woken to kick it (Xen's timer: due has come)
                    self.kick_due(xen.time_ns(), self.watchdog_ns)  # always kicks
                continue
            t0 = xen.time_ns()
            if t0 + self.listing_ns >= deadline:
                # a listing now would run into the deadline: the caller's
                # next listing shows these events
                if t0 < deadline:
                    xen.sleep_until(deadline, False)
                return
            self.listings += 1
            self.total += 1
            if self.listings == self.most:
                self.storms += 1
                if on_storm:
                    on_storm()
            on_event()
            t1 = xen.time_ns()
            self.listing_ns = t1 - t0
            self.next_listing = t1 + gap
            self.kick_due(t1, 0)
