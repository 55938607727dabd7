# SPDX-License-Identifier: MIT
# The optional calls (hypercalls.FEATURES) of a run: a refusal (EPERM: not
# privileged; EACCES: FLASK) is said once and drops that feature for good,
# since under FLASK every refused call would log an avc denial; any other
# error is said once while it lasts (app.Reporter) and the call is tried
# again at the next poll.
from . import abi
from . import hypercalls as hv


class Features:
    def __init__(self, errors):
        self.errors = errors  # app.Reporter: says a failure once, and when it works again
        self.dropped = set()

    def on(self, op):
        return op not in self.dropped

    def call(self, op, fn, *args):
        """fn(*args) for the feature op; its result, or None when it failed
        or was dropped (the poll goes on without it)."""
        if op in self.dropped:
            return None
        try:
            out = fn(*args)
        except hv.HypercallError as e:
            self.errors.failed(op, e)
            if e.errno() in (abi.EPERM, abi.EACCES):
                self.dropped.add(op)
            return None
        self.errors.ok(op)
        return out
