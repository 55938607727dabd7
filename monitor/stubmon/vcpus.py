# SPDX-License-Identifier: MIT
# vcpus=1: each shown domain's vCPUs from XEN_DOMCTL_getvcpuinfo (as
# `xentop -v`): online/running/blocked, CPU time, CPU % since the previous
# poll, the pCPU it is on. One domctl per vCPU, for the rows shown only.
from collections import namedtuple

from . import abi
from . import hypercalls as hv
from . import record

VCPUS_MAX = 128  # vCPUs read per domain at most (a poll's hypercalls stay bounded)

VCpu = namedtuple('VCpu', ('vcpu', 'online', 'running', 'blocked', 'cpu_time', 'cpu_pct', 'pcpu'))


def state_word(v):
    """The vCPU as one word: offline, running, blocked, or runnable
    (online and waiting for a pCPU)."""
    if not v.online:
        return 'offline'
    if v.running:
        return 'running'
    return 'blocked' if v.blocked else 'runnable'


class VCpus:
    """Each vCPU's CPU time at the previous poll ((domid, vcpu) -> ns),
    kept only for the domains read at the last poll (bounded)."""

    def __init__(self):
        self._last = {}
        self._last_ns = None

    def size(self):
        return len(self._last)

    def read(self, hyp, doms, now):
        """{domid: [VCpu]} for doms (records). Raises HypercallError when
        getvcpuinfo is refused (EPERM, EACCES): the caller drops the
        feature. A domain that went away meanwhile (ESRCH) is left out."""
        last, wall = self._last, None
        if self._last_ns is not None:
            wall = now - self._last_ns
        keep, out = {}, {}
        for d in doms:
            if d.max_vcpu_id == record.MAX_VCPU_ID_NONE:
                out[d.domid] = []
                continue
            got = []
            try:
                for i in range(min(d.max_vcpu_id + 1, VCPUS_MAX)):
                    online, blocked, running, t, pcpu = hyp.vcpu_info(d.domid, i)
                    prev = last.get((d.domid, i))
                    pct = None
                    if prev is not None and wall and t >= prev:
                        pct = record.percent_tenths(t - prev, wall)
                    keep[(d.domid, i)] = t
                    got.append(VCpu(i, online, running, blocked, t, pct, pcpu))
            except hv.HypercallError as e:
                if e.errno() not in (abi.ESRCH, abi.EINVAL):
                    raise
            out[d.domid] = got
        self._last, self._last_ns = keep, now
        return out
