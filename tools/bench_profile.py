# SPDX-License-Identifier: MIT
# make bench --only profile: where one steady poll of one domain spends its
# time, step by step, under the MicroPython unix port (the image's VM, from
# the same source) against the fake hypervisor of the unit tests:
#   MICROPYPATH=monitor:build/xenabi/x86_64:tests/unit/fake micropython tools/bench_profile.py
# Each step is timed by wrapping it here, from outside: the monitor's code
# is run as the image runs it. The fake's hypercalls are Python, so the
# steps that call Xen (physinfo, getcpuinfo, the listing) cost more here
# than on Xen; the rest (decode, figures, view, formatting) is the image's
# own work, at the host CPU's speed rather than TCG's.
import time

import xen  # the fake

from stubmon import app
from stubmon import columns
from stubmon import events
from stubmon import hypercalls
from stubmon import listing
from stubmon import render
from stubmon import view

POLLS = 200
SPENT = {}

STEPS = (
    (app.Monitor, 'poll_once', 'the poll (collect + render + stats)'),
    (app.Monitor, 'collect', '  collect'),
    (app.Monitor, 'read_host', '    host (physinfo + getcpuinfo)'),
    (hypercalls.Hypervisor, 'physinfo', '      physinfo'),
    (hypercalls.Hypervisor, 'cpu_idle', '      getcpuinfo'),
    (listing.Listing, 'update', '    listing (getdomaininfolist, decode, figures)'),
    (app.Monitor, 'collect_changes', '    events and alerts'),
    (events.Tracker, 'update', '      events'),
    (view.View, 'pick', '    view'),
    (render.Output, 'snapshot', '  render'),
    (columns.Columns, 'widths', '    column widths'),
    (columns.Columns, 'layout', '    header and row format'),
    (app.Monitor, 'sleep', 'between polls (sleep, event checks)'),
)


def timed(cls, name, label):
    f = getattr(cls, name)

    def step(*args, **kw):
        t = time.ticks_us()
        try:
            return f(*args, **kw)
        finally:
            SPENT[label] = SPENT.get(label, 0) + time.ticks_diff(time.ticks_us(), t)

    setattr(cls, name, step)


for cls, name, label in STEPS:
    timed(cls, name, label)
xen.reset(cmdline='interval=3 count=%d' % POLLS)
lines = []
try:
    app.start(xen, say=lines.append)
except xen.Exited:
    pass
print(
    '  one steady poll of one domain, us (MicroPython unix port, fake hypervisor, %d polls):'
    % POLLS
)
for _, _, label in STEPS:
    print('    %-50s %6d' % (label, SPENT.get(label, 0) // POLLS))
