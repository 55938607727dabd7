# SPDX-License-Identifier: MIT
# listing.Listing: the poll's listing kept from poll to poll; a record is
# decoded again only where its bytes changed or its CPU % went stale, and the
# summary counts follow in place. Against the fake hypervisor.
import xen  # the fake

from stubmon import hypercalls as hypervisor
from stubmon import listing
from stubmon import record
from stubmon import table

S = 1000000000
PAUSED, BLOCKED, RUNNING = 8, 0x10, 0x20


def setup(n=5):
    xen.reset()
    for i in range(1, n + 1):
        xen.add_domain(i, flags=BLOCKED, tot_pages=256, max_pages=4096)
    h = hypervisor.Hypervisor(xen)
    h.probe()
    return h, listing.Listing(xen.records_merge), record.Figures()


def poll(h, li, f, now, total=1048576):
    f.begin(now, total)
    return li.update(h, f, total)


def ids(recs):
    return [d.domid for d in recs]


def test_first_listing_is_all_changed_and_counted():
    h, li, f = setup()
    doms = poll(h, li, f, 0)
    assert ids(doms) == [0, 1, 2, 3, 4, 5]
    assert ids(li.changed) == ids(doms)
    assert li.counts == table.summary(doms)
    assert li.counts['blocked'] == 5 and li.counts['running'] == 1


def test_nothing_changed_touches_nothing():
    h, li, f = setup()
    poll(h, li, f, 0)
    poll(h, li, f, S)  # CPU % goes from '-' to a figure: decoded again
    before = list(li.doms)
    doms = poll(h, li, f, 2 * S)
    assert li.changed == []
    assert all(a is b for a, b in zip(before, doms))  # the same records, not decoded again
    assert li.counts == table.summary(doms)


def test_first_figure_of_an_idle_domain_is_no_change():
    h, li, f = setup(2)
    poll(h, li, f, 0)
    poll(h, li, f, S)
    # the idle ones got 0.0 % instead of '-': not a row worth printing; dom0 is
    # the same (its CPU time does not move in the fake unless told)
    assert li.changed == []
    assert [d.cpu_pct for d in li.doms] == [0, 0, 0]


def test_cpu_time_moving_is_a_change_and_stale_until_idle():
    h, li, f = setup(3)
    poll(h, li, f, 0)
    poll(h, li, f, S)
    xen.st.domains[2].cpu_time += S // 4  # 25 % of the next second
    poll(h, li, f, 2 * S)
    assert ids(li.changed) == [2] and li.doms[2].cpu_pct == 250
    # its bytes do not move again, but its CPU % does: back to 0.0
    poll(h, li, f, 3 * S)
    assert ids(li.changed) == [2] and li.doms[2].cpu_pct == 0
    poll(h, li, f, 4 * S)
    assert li.changed == []


def test_state_change_moves_the_counts_in_place():
    h, li, f = setup(4)
    poll(h, li, f, 0)
    xen.st.domains[3].flags = PAUSED
    poll(h, li, f, S)
    assert ids(li.changed) == [3]
    assert li.counts == table.summary(li.doms)
    assert li.counts['paused'] == 1 and li.counts['blocked'] == 3


def test_domain_gone_in_the_middle_and_new_at_the_end():
    h, li, f = setup(5)
    poll(h, li, f, 0)
    del xen.st.domains[2]
    doms = poll(h, li, f, S)
    assert ids(doms) == [0, 1, 3, 4, 5]
    # every record after the gap moved down one: compared by domid, not index,
    # so only the first-figure CPU % could differ, and that is no change
    assert li.changed == []
    assert li.counts == table.summary(doms) and li.counts['domains'] == 5
    xen.add_domain(9, flags=PAUSED, tot_pages=100, max_pages=100)
    xen.add_domain(7, flags=RUNNING, tot_pages=100, max_pages=100)
    doms = poll(h, li, f, 2 * S)
    assert ids(doms) == [0, 1, 3, 4, 5, 7, 9]
    assert ids(li.changed) == [7, 9]
    assert li.counts == table.summary(doms)


def test_many_domains_across_batches():
    h, li, f = setup(300)  # more than one getdomaininfolist batch
    doms = poll(h, li, f, 0)
    assert ids(doms) == list(range(301))
    for i in (5, 150, 299):
        xen.st.domains[i].flags = PAUSED
    poll(h, li, f, S)
    assert ids(li.changed) == [5, 150, 299]
    assert li.counts['paused'] == 3 and li.counts == table.summary(li.doms)


def test_a_listing_cut_short_starts_over():
    h, li, f = setup(3)
    poll(h, li, f, 0)
    xen.st.fail['getdomaininfolist'] = 14  # EFAULT
    try:
        poll(h, li, f, S)
        assert False
    except hypervisor.HypercallError:
        pass
    assert li.doms == [] and len(li.raw) == 0
    del xen.st.fail['getdomaininfolist']
    doms = poll(h, li, f, 2 * S)
    assert ids(doms) == [0, 1, 2, 3] and ids(li.changed) == ids(doms)


def test_host_memory_change_decodes_all_again():
    h, li, f = setup(2)
    poll(h, li, f, 0, 1048576)
    poll(h, li, f, S, 1048576)
    doms = poll(h, li, f, 2 * S, 2097152)  # MEM % of every domain moves
    assert ids(li.changed) == ids(doms)
    assert doms[1].mem_pct == record.percent_tenths(1024, 2097152)


def test_merge_copies_and_tells_the_indices():
    # the fake's records_merge, as port-xen/modxen_records.c does it
    stored = bytearray(b'aaaabbbbcccc')
    assert xen.records_merge(stored, 1, b'bbbbCCCC', 2, 4) == [2]
    assert stored == bytearray(b'aaaabbbbCCCC')
    for bad in ((0, b'x' * 8, 1 << 32, 1 << 32), (2, b'x' * 8, 2, 4), (-1, b'', 0, 4)):
        try:
            xen.records_merge(bytearray(12), *bad)
            assert False, bad
        except ValueError:
            pass


def test_merged_sorted_lists():
    assert listing._merged([1, 3, 5], [2, 3, 6]) == [1, 2, 3, 5, 6]
    assert listing._merged([], [4]) == [4]
    assert listing._merged([4], []) == [4]
