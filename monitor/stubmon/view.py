# SPDX-License-Identifier: MIT
# view= and sort=: which rows a poll prints, so that the console carries
# what fits (as xentop's batch mode users pick rows and order).
#
#   all       every domain (sort= orders them)
#   changes   the domains whose row changed since the previous poll (at the
#             first poll: all of them)
#   top:N     the N highest by sort= (default cpu: the busiest)
#   auto      (default) all while the rows fit the row budget, else changes
#             capped at the budget; each switch is said once
#
# The row budget is half of what a console of baud= carries in one
# interval (8N1: baud / 10 bytes a second) at ROW_BYTES a row: 157 rows at
# 115200 baud and a 3 s interval. Rows left out are counted on the view line.
from . import options

ROW_BYTES = 110  # a table row, with its line end
SORTS = ('id', 'cpu', 'mem')
MODES = ('auto', 'all', 'changes', 'top')


def row_budget(interval_ms, baud):
    """Rows a poll may print; None: no limit (baud=0)."""
    if not baud:
        return None
    return max(1, interval_ms * baud // (10 * ROW_BYTES * 1000 * 2))


def _cpu(d):
    return -1 if d.cpu_pct is None else d.cpu_pct


def _mem(d):
    return d.tot_pages


KEYS = {'cpu': _cpu, 'mem': _mem}


def highest(rows, n, key):
    """The n rows with the highest key, highest first, ties in the order
    of rows (domid order). A binary insertion into a list of at most n:
    MicroPython's sort is quadratic on sorted input, and most domains of a
    big host have the same key (0 % CPU)."""
    keys, best = [], []  # keys descending, best alongside
    for d in rows:
        k = key(d)
        if len(keys) >= n and k <= keys[-1]:
            continue
        lo, hi = 0, len(keys)
        while lo < hi:
            mid = (lo + hi) // 2
            if keys[mid] >= k:
                lo = mid + 1
            else:
                hi = mid
        keys.insert(lo, k)
        best.insert(lo, d)
        if len(keys) > n:
            keys.pop()
            best.pop()
    return best


class View:
    def __init__(self, opts, say):
        self.mode = opts.view
        self.top = opts.top
        self.sort = opts.sort or ('cpu' if opts.view == 'top' else 'id')
        self.budget = row_budget(opts.interval_ms, opts.baud)
        self.baud = opts.baud
        self.interval_ms = opts.interval_ms
        self.auto = None  # what auto shows now: 'all' or 'changes'
        self.say = say

    def _ordered(self, rows, n=None):
        """rows (in domid order) by sort=, the first n (None: all)."""
        key = KEYS.get(self.sort)
        if n is None:
            n = len(rows)
        if key is None:
            return rows if n >= len(rows) else rows[:n]
        return highest(rows, n, key)

    def _switch(self, count):
        """auto: all or changes for `count` domains, said when it switches."""
        want = 'all' if self.budget is None or count <= self.budget else 'changes'
        if want != self.auto:
            if want == 'changes':
                self.say(
                    'stubmon: view: %d domains are more rows than the console carries '
                    '(about %d a poll: half of a %s s interval at baud=%d); showing the rows '
                    'that change (view=changes), at most %d a poll; view=all shows every row'
                    % (
                        count,
                        self.budget,
                        options.seconds_text(self.interval_ms),
                        self.baud,
                        self.budget,
                    )
                )
            elif self.auto is not None:
                self.say(
                    'stubmon: view: %d domains fit the console again; showing every row' % count
                )
            self.auto = want
        return want

    def pick(self, shown, changed):
        """This poll's rows, with the line and the JSON object saying which
        they are (None, None: every domain in ID order). shown: every
        domain listed (after domains=), in domid order; changed: those
        whose row changed since the previous poll, or None (all)."""
        mode = self.mode
        capped = False
        if mode == 'auto':
            mode = self._switch(len(shown))
            capped = True
        if mode == 'all':
            if self.sort == 'id':
                return shown, None, None
            rows = self._ordered(shown)
            return (
                rows,
                'stubmon view: all %d domains, by %s' % (len(rows), self.sort),
                self._json('all', rows, shown, None, 0),
            )
        if mode == 'top':
            rows = self._ordered(shown, self.top)
            return (
                rows,
                'stubmon view: top %d of %d domains by %s' % (len(rows), len(shown), self.sort),
                self._json('top', rows, shown, None, 0),
            )
        base = shown if changed is None else changed
        limit = self.budget if capped else None
        rows = self._ordered(base, limit)
        left = len(base) - len(rows)
        line = 'stubmon view: changes: %d of %d domains changed since the previous poll' % (
            len(base),
            len(shown),
        )
        if left:
            line += '; the first %d by %s shown, %d left out' % (len(rows), self.sort, left)
        return rows, line, self._json('changes', rows, shown, len(base), left)

    def _json(self, mode, rows, shown, changed, left):
        return (
            'mode',
            mode,
            'sort',
            self.sort,
            'shown',
            len(rows),
            'of',
            len(shown),
            'changed',
            changed,
            'left_out',
            left,
        )
