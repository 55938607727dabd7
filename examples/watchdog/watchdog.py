# SPDX-License-Identifier: MIT
# watchdog: says when a domain has been paused (xl state --p---) for longer
# than a threshold, and when it runs again. A script on the stubmon API;
# examples/watchdog/main.py starts it in the image (make EXAMPLE=watchdog).
#
# Command line (Xen's module arguments, xl's extra=):
#   stuck=S     seconds paused before it is reported (default 30)
#   interval=S  seconds between checks (default 5)
#   count=N     stop after N checks (default 0: forever)
#   demo=N      first create N empty paused domains to watch (dom0; a demo)
#   exit=qemu   end QEMU instead of powering off (tests)
#
#   watchdog: domain 2 stuck paused (--p---) for 4s (threshold 3s)
#   watchdog: domain 2 paused -> running after 12s paused
import stubmon

NS_PER_MS = 1000000


class Watchdog:
    def __init__(self, stuck_ms, say=print):
        self.stuck_ns = stuck_ms * NS_PER_MS
        self.say = say
        self.since = {}  # domid -> Xen time it was first seen paused
        self.reported = {}  # domid -> True once said stuck

    def changed(self, domid, old, new):
        """on_domain_change callback."""
        now = stubmon.uptime_ns()
        if new == 'paused':
            if domid not in self.since:
                self.since[domid] = now
            return
        if domid in self.since:
            if domid in self.reported:
                self.say(
                    'watchdog: domain %d paused -> %s after %ds paused'
                    % (domid, new or 'gone', (now - self.since[domid]) // 1000000000)
                )
                del self.reported[domid]
            del self.since[domid]

    def start(self, doms):
        now = stubmon.uptime_ns()
        for d in doms:
            if d.status == 'paused':
                self.since[d.domid] = now  # paused since at least now

    def check(self):
        """Report each domain paused past the threshold, once."""
        now = stubmon.uptime_ns()
        for domid in sorted(self.since):
            if domid in self.reported:
                continue
            held = now - self.since[domid]
            if held >= self.stuck_ns:
                d = stubmon.domain(domid)
                state = d.state if d else '--p---'
                self.say(
                    'watchdog: domain %d stuck paused (%s) for %ds (threshold %s s)'
                    % (
                        domid,
                        state,
                        held // 1000000000,
                        stubmon.seconds_text(self.stuck_ns // NS_PER_MS),
                    )
                )
                self.reported[domid] = True
        return len(self.reported)


def run(say=print):
    stuck_ms = stubmon.seconds_arg('stuck', 30000, name='watchdog', say=say)
    interval_ms = stubmon.seconds_arg('interval', 5000, name='watchdog', say=say)
    count = stubmon.int_arg('count', 0, name='watchdog', say=say)
    demo = stubmon.int_arg('demo', 0, name='watchdog', say=say)
    say(
        'watchdog: xen %s; reports domains paused over %s s, checks every %s s'
        % (stubmon.version(), stubmon.seconds_text(stuck_ms), stubmon.seconds_text(interval_ms))
    )
    if demo:
        ids = stubmon.create_demo(demo)
        say(
            'watchdog: created %d paused demo domains: %s'
            % (len(ids), ' '.join([str(i) for i in ids]))
        )
    w = Watchdog(stuck_ms, say)
    stubmon.on_domain_change(w.changed)
    w.start(stubmon.domains())
    deadline = stubmon.uptime_ns()
    n = 0
    while True:
        n += 1
        w.check()
        if count and n >= count:
            break
        deadline += interval_ms * NS_PER_MS
        stubmon.sleep_until_ns(deadline)
    say('watchdog: done after %d checks; %d domains stuck now' % (n, len(w.reported)))


def main(say=print):
    stubmon.run(run, 'watchdog', say)
