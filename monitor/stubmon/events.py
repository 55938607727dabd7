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

    def update(self, doms, now_ns=0):
        """Event lines for the change from the last listing to `doms`
        (self.changes holds the same changes as tuples; the stubmon API's
        on_domain_change reads those and passes now_ns=None: no lines)."""
        cur = {}
        for d in doms:
            cur[d.domid] = d.status
        old = self.known
        self.known = cur
        self.changes = changes = []
        if old is None:
            return []
        # appeared and changed first, then gone, each in domid order (the
        # records come in domid order; dicts keep none in MicroPython)
        for d in doms:
            was = old.get(d.domid)
            if was != d.status:
                changes.append((d.domid, was, d.status))
        for i in range(1, len(changes)):
            if changes[i][0] < changes[i - 1][0]:   # records out of order: rare
                changes.sort()
                break
        gone = [(domid, old[domid], None) for domid in old if domid not in cur]
        if gone:
            gone.sort()
            changes.extend(gone)
        if now_ns is None:
            return []
        head = 'stubmon event %ss: domain ' % stamp(now_ns)
        lines = []
        for domid, was, now in changes:
            if was is None:
                lines.append('%s%d appeared (%s)' % (head, domid, now))
            elif now is None:
                lines.append('%s%d gone (was %s)' % (head, domid, was))
            else:
                lines.append('%s%d %s -> %s' % (head, domid, was, now))
        return lines
