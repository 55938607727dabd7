# SPDX-License-Identifier: MIT
# What one poll (or an event listing between polls) collected, before any
# of it is printed: render.Output prints a snapshot in every format.


class Snapshot:
    """A poll collects into one, field by field; what the renderers read of
    it (rows, host, counts, the view's line and object, vcpus) may also be
    given at once, as make bench and the unit tests do."""

    def __init__(
        self, n, version, now, rows=None, host=None, counts=None, view_line=None, seen=None
    ):
        self.n, self.version, self.now = n, version, now
        self.notes = []  # lines said while collecting (refusals, view switches)
        self.host = host  # hypercalls.PhysInfo, or None (refused, or failed)
        self.log_lines = ()  # Xen's new log lines (xenlog=1)
        self.log_lost = 0  # bytes of Xen's log lost before them
        self.host_alerts = []  # fired host-wide and log: alerts
        self.moves = None  # event tracker's (domid, was, now); None: no listing
        self.event_lines = None  # their text lines
        self.event_cap = 0  # how many of them to show (the row budget)
        self.domain_alerts = []  # fired per-domain alerts
        self.alert_notes = []  # lines the alert rules said (alerts.said)
        self.refused = None  # errno name: the listing was refused, no table
        self.own_cpu_ns = 0  # the monitor's CPU time (for a refused listing)
        self.rows = rows  # the records the poll shows (view.pick); None: unreadable
        self.counts = counts  # the summary counts of every domain; None: of the rows
        self.view_line = view_line  # the view's line under the table
        self.seen = seen  # the view's JSON object, its keys and values in a tuple
        self.vcpus = None  # vcpus=1: {domid: [vcpus.VCpu]}
