# Heap budget of one poll with 1000 domains (demo= allows that many). Runs
# its check only under MicroPython, which has gc.mem_alloc(); the image's
# heap is 1 MiB and frozen modules cost it nothing, so stay well under that.
import gc

import xen   # the fake

from stubmon import cpuload
from stubmon import hypercalls as hypervisor
from stubmon import jsonout
from stubmon import table

BUDGET = 320 * 1024


def test_thousand_domains_fit_the_heap_budget():
    if not hasattr(gc, 'mem_alloc'):
        return   # CPython: nothing to measure
    xen.reset()
    for i in range(1, 1001):
        xen.add_domain(i, flags=8, max_pages=4096, vcpus=0)
    h = hypervisor.Hypervisor(xen)
    h.probe()
    c = cpuload.CpuLoad()
    c.update(h.list_domains(), 0)   # a previous poll's samples stay alive too
    gc.collect()
    base = gc.mem_alloc()
    doms = h.list_domains()
    cpu = c.update(doms, 1000000000)
    n = 0
    for line in table.format_poll(2, '4.20.4', 0, doms, cpu):
        n += 1
    gc.collect()
    used = gc.mem_alloc() - base
    assert n == 1005
    assert used < BUDGET, used
    # format=json: the poll's line in pieces, as the image prints it
    size = 0
    for piece in jsonout.poll_parts(2, '4.20.4', 0, doms, cpu):
        size += len(piece)
    gc.collect()
    used = gc.mem_alloc() - base
    assert size > 200000
    assert used < BUDGET, used
