# CPU% of each domain between two polls, like xentop: cpu_time delta over
# wall-clock delta. Integer math only (the image has no floats): results are
# tenths of a percent, rounded half up; None when there is no earlier sample.


def percent_tenths(cpu_delta_ns, wall_delta_ns):
    if wall_delta_ns <= 0 or cpu_delta_ns < 0:
        return None
    return (cpu_delta_ns * 1000 + wall_delta_ns // 2) // wall_delta_ns


class CpuLoad:
    def __init__(self):
        # domid -> cpu_time at the previous poll: small ints only, so 1000
        # domains cost ~20 KiB. Xen does not reuse a domid at once; if one
        # comes back with less CPU time than before it counts as new.
        self._last = {}
        self._last_ns = 0

    def size(self):
        return len(self._last)

    def update(self, domains, now_ns):
        """Returns {domid: tenths or None} and remembers this poll's samples.
        Domains that vanished are forgotten, so the map stays small."""
        result = {}
        last = {}
        wall = now_ns - self._last_ns
        for d in domains:
            prev = self._last.get(d.domid)
            result[d.domid] = None if prev is None else percent_tenths(d.cpu_time - prev, wall)
            last[d.domid] = d.cpu_time
        self._last = last
        self._last_ns = now_ns
        return result
