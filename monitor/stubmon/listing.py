# SPDX-License-Identifier: MIT
# The poll's listing, kept from poll to poll: every domain's raw record in
# one buffer, and a record decoded again only where its bytes changed
# (xen.records_merge compares and copies each batch in C) or where its CPU %
# went stale (it was busy at the previous poll). The records, the state
# counts and the list are updated in place: with 1000 unchanged domains a
# poll's Python touches none of them and allocates nothing per domain, so
# the heap neither churns nor fragments.
import struct

from . import record
from . import table


def _merged(a, b):
    """Two ascending lists of ints as one, without duplicates (MicroPython's
    sort is quadratic on sorted input: never sort these)."""
    if not b:
        return a
    if not a:
        return b
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        x, y = a[i], b[j]
        if x <= y:
            out.append(x)
            i += 1
            j += x == y
        else:
            out.append(y)
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out


def _first_figure_only(prev, rec):
    """rec differs from prev only by its first CPU % ('-' -> '0.0' of a
    domain that did not run): not a change worth a row."""
    if prev.cpu_pct is not None or rec.cpu_pct != 0 or prev.mem_pct != rec.mem_pct:
        return False
    for k in range(12):  # every field before cpu_pct
        if prev[k] != rec[k]:
            return False
    return True


class Listing:
    def __init__(self, merge):
        """merge: xen.records_merge (C in the image, the fake's in tests)."""
        self.raw = bytearray(0)  # every record as Xen wrote it, in domid order
        self.doms = []  # their records (record.Domain), updated in place
        self.changed = []  # the records that differ from the previous poll's
        self.counts = None  # table.summary(self.doms), kept up to date
        self._stale = []  # indices whose CPU % goes stale by the next poll
        self._total = None
        self._merge = merge
        self._size = 0
        self._touched = []

    def _take(self, buf, n, done):
        size = self._size
        need = (done + n) * size
        if len(self.raw) < need:  # grows rarely: by half again at least
            grown = bytearray(max(need, len(self.raw) * 3 // 2))
            grown[: len(self.raw)] = self.raw
            self.raw = grown
        self._touched.extend(self._merge(self.raw, done, buf, n, size))

    def update(self, hyp, figures, total_kib):
        """List every domain through hyp (a hypercalls.Hypervisor), with
        figures (record.Figures, begun for this poll). Returns self.doms."""
        lay = hyp.abi
        if lay.DI_SIZE != self._size or total_kib != self._total:
            self.raw = bytearray(0)  # a new layout or host size: decode all again
            self.doms = []
            self._stale = []
            self._size = lay.DI_SIZE
            self._total = total_kib
        self._touched = []
        try:
            count = hyp.each_batch(self._take)
        except BaseException:
            # a listing cut short: the buffer holds records never decoded
            self.raw = bytearray(0)
            self.doms = []
            self._stale = []
            raise
        doms = self.doms
        old_count = len(doms)
        todo = _merged(self._touched, self._stale)
        self._touched = []
        if count > old_count:  # new tail: the buffer held zeros or a longer past
            todo = _merged(todo, list(range(old_count, count)))
        self._decode(lay, figures, todo, count)
        figures.end(doms)
        return doms

    def _decode(self, lay, figures, todo, count):
        doms = self.doms
        old_count = len(doms)
        fmt, size, raw = lay.DI_FORMAT, lay.DI_SIZE, self.raw
        unpack, make, of = struct.unpack_from, record._record, figures.of
        self.changed = changed = []
        stale = []
        moved = count != old_count  # then the counts are summed again
        by_id = None  # the old records by domid, once domains moved
        counts = self.counts
        for i in todo:
            if i >= count:
                break
            t = unpack(fmt, raw, i * size)
            cpu, mem = of(t[0], t[4], t[2])
            rec = make(t, cpu, mem)
            prev = doms[i] if i < old_count else None
            if prev is not None and prev.domid != rec.domid:
                moved = True
                if by_id is None:  # indices i.. still hold the old records
                    by_id = {}
                    for d in doms[i:]:
                        by_id[d.domid] = d
            if by_id is not None:
                prev = by_id.get(rec.domid)
            if i < old_count:
                doms[i] = rec
            else:
                doms.append(rec)
            if prev is None or (prev != rec and not _first_figure_only(prev, rec)):
                changed.append(rec)
                if not moved and counts is not None:
                    counts[table.summary_key(prev.status)] -= 1
                    counts[table.summary_key(rec.status)] += 1
            if cpu != 0:  # None (first figure) or busy: decode again next poll
                stale.append(i)
        if count < len(doms):
            del doms[count:]
        if moved or counts is None:
            self.counts = table.summary(doms)
        self._stale = stale
