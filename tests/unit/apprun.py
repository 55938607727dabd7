# SPDX-License-Identifier: MIT
# Run the whole monitor (app.start) against the fake hypervisor, for the
# end-to-end unit tests: returns (lines said, how it ended, fake state).
import xen  # the fake

from stubmon import app


def run(cmdline, setup=None, **reset_kw):
    st = xen.reset(cmdline=cmdline, **reset_kw)
    if setup:
        setup(st)
    lines = []
    try:
        app.start(xen, say=lines.append)
        assert False, 'start() must end the domain'
    except xen.Exited as e:
        return lines, e.args, st
