# SPDX-License-Identifier: MIT
# Records for the unit tests: record.make() with defaults, and a poll's
# derived CPU % / MEM % put in the way a poll's listing puts them.
from stubmon import record


def dom(
    domid,
    flags=0,
    tot=0,
    maxp=0,
    cpu_ns=0,
    vcpus=1,
    ssid=0,
    pool=0,
    handle=None,
    cpu_pct=None,
    mem_pct=None,
):
    return record.make(
        domid,
        flags,
        tot,
        maxp,
        cpu_ns,
        vcpus,
        vcpus - 1,
        ssid,
        handle or bytes(16),
        pool,
        cpu_pct,
        mem_pct,
    )


def at_poll(doms, cpu=None, host=None):
    """doms with cpu_pct from {domid: tenths} and mem_pct from the host's
    memory, as record.Figures gives them at a poll."""
    if doms is None:
        return None
    total = host.total_kib if host is not None else None
    out = []
    for d in doms:
        mem = record.percent_tenths(record.pages_to_kib(d.tot_pages), total) if total else None
        out.append(record.with_figures(d, (cpu or {}).get(d.domid), mem))
    return out
