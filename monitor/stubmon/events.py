# SPDX-License-Identifier: MIT
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
        self.known = None  # {domid: state name} of the last listing, updated in place
        self.changes = []  # the last update's (domid, was or None, now or None)

    def size(self):
        return len(self.known) if self.known else 0

    def update(self, doms, now_ns=0, changed=None):
        """Event lines for the change from the last listing to `doms`
        (self.changes holds the same changes as tuples; the stubmon API's
        on_domain_change reads those and passes now_ns=None: no lines).
        changed: the records of doms that differ from the last listing
        (listing.Listing.changed), or None: compare them all. The dict is
        updated in place: at 1000 domains a new one a poll fragments the heap."""
        first = self.known is None
        if first:
            self.known = {}
            changed = None
        known = self.known
        self.changes = changes = []
        # appeared and changed first, then gone, each in domid order (the
        # records come in domid order; dicts keep none in MicroPython)
        for d in doms if changed is None else changed:
            was = known.get(d.domid)
            if was != d.status:
                known[d.domid] = d.status
                changes.append((d.domid, was, d.status))
        if first:
            del changes[:]
            return []
        for i in range(1, len(changes)):
            if changes[i][0] < changes[i - 1][0]:  # records out of order: rare
                changes.sort()
                break
        if len(known) > len(doms):  # some are gone: only then a set of the present
            present = set([d.domid for d in doms])
            gone = [(domid, known[domid], None) for domid in known if domid not in present]
            gone.sort()
            for g in gone:
                del known[g[0]]
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
