# Domain events: what changed between two listings of the domains, as one
# line each, stamped with Xen's uptime (the clock of Xen's own console
# timestamps). The first listing is the baseline and says nothing.
#
#   stubmon event 12.345s: domain 2 appeared (running)
#   stubmon event 14.001s: domain 2 blocked -> shutdown (poweroff)
#   stubmon event 15.020s: domain 3 running -> crashed
#   stubmon event 20.500s: domain 4 gone (was paused)


def stamp(ns):
    """Xen time as seconds with milliseconds: 12345678901 -> '12.345'."""
    ms = ns // 1000000
    return '%d.%s' % (ms // 1000, str(1000 + ms % 1000)[1:])


class Tracker:
    def __init__(self):
        self.known = None   # {domid: state name} of the last listing
        self.changes = []   # the last update's (domid, was or None, now or None)

    def size(self):
        return len(self.known) if self.known else 0

    def update(self, doms, now_ns):
        """Event lines for the change from the last listing to `doms`."""
        cur = {}
        for d in doms:
            cur[d.domid] = d.status
        old = self.known
        self.known = cur
        self.changes = changes = []
        if old is None:
            return []
        head = 'stubmon event %ss: domain ' % stamp(now_ns)
        lines = []
        for domid in sorted(cur):
            was = old.get(domid)
            now = cur[domid]
            if was is None:
                lines.append('%s%d appeared (%s)' % (head, domid, now))
                changes.append((domid, None, now))
            elif was != now:
                lines.append('%s%d %s -> %s' % (head, domid, was, now))
                changes.append((domid, was, now))
        for domid in sorted(old):
            if domid not in cur:
                lines.append('%s%d gone (was %s)' % (head, domid, old[domid]))
                changes.append((domid, old[domid], None))
        return lines
