# SPDX-License-Identifier: MIT
# Heap budget of one poll with 1000 domains (demo= allows that many). Runs
# its check only under MicroPython, which has gc.mem_alloc(); the image's
# heap is the domain's memory with a 256 KiB floor (docs/memory.md) and
# frozen modules cost it nothing, so a poll's garbage stays under 320 KiB.
import gc

import xen  # the fake

from stubmon import hypercalls as hypervisor
from stubmon import record
from stubmon import jsonout
from stubmon import table
from stubmon.snapshot import Snapshot

BUDGET = 320 * 1024


def test_thousand_domains_fit_the_heap_budget():
    if not hasattr(gc, 'mem_alloc'):
        return  # CPython: nothing to measure
    xen.reset()
    for i in range(1, 1001):
        xen.add_domain(i, flags=8, max_pages=4096, vcpus=0)
    h = hypervisor.Hypervisor(xen)
    h.probe()
    f = record.Figures()
    f.begin(0)
    f.end(h.list_domains(f))  # a previous poll's samples stay alive too
    gc.collect()
    base = gc.mem_alloc()
    f.begin(1000000000)
    doms = h.list_domains(f)
    f.end(doms)
    n = 0
    for line in table.format_poll(Snapshot(2, '4.20.4', 0, doms)):
        n += 1
    gc.collect()
    used = gc.mem_alloc() - base
    assert n == 1005
    assert used < BUDGET, used
    # format=json: the poll's line in pieces, as the image prints it
    size = 0
    for piece in jsonout.poll_parts(Snapshot(2, '4.20.4', 0, doms)):
        size += len(piece)
    gc.collect()
    used = gc.mem_alloc() - base
    assert size > 200000
    assert used < BUDGET, used
