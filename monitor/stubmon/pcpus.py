# SPDX-License-Identifier: MIT
# Physical CPUs' busy % from XEN_SYSCTL_getcpuinfo's idle time: busy is
# the wall time since the previous poll that a pCPU did not spend idle.
# Tenths of a percent, integer math (the image has no floats).


def busy_tenths(idle_delta, wall_delta):
    """1000 - idle share, clamped to 0..1000 (idle and wall time are read
    a moment apart, so a nearly idle pCPU can come out a hair below 0)."""
    if wall_delta <= 0:
        return None
    t = 1000 - idle_delta * 1000 // wall_delta
    return 0 if t < 0 else (1000 if t > 1000 else t)


class PCpus:
    """Each pCPU's idle time at the previous reading; what a poll derives
    from the next one: busy per pCPU and over the host (their mean)."""

    def __init__(self):
        self.at = None  # Xen system time of the previous reading
        self.idle = None  # [ns] per pCPU then
        self.busy = []  # [tenths or None] per pCPU, this poll
        self.host = None  # the host's busy tenths (mean over pCPUs), None on the first

    def update(self, now, idle):
        """idle: [ns] per pCPU read at `now`. A pCPU count that changed
        (hotplug) starts afresh."""
        prev, at = self.idle, self.at
        if prev is None or len(prev) != len(idle):
            self.busy = [None] * len(idle)
        else:
            wall = now - at
            self.busy = [busy_tenths(idle[i] - prev[i], wall) for i in range(len(idle))]
        self.at, self.idle = now, idle
        known = [b for b in self.busy if b is not None]
        self.host = sum(known) // len(known) if known and len(known) == len(idle) else None
        return self.host

    def rows(self):
        """[(pCPU, busy tenths or None, idle ns)] for the pcpus=1 lines."""
        idle = self.idle or []
        return [(i, self.busy[i], idle[i]) for i in range(len(idle))]
