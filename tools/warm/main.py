# SPDX-License-Identifier: MIT
# make bench --only warm (tools/bench_warm.py): the monitor's start done
# twice in one boot. The second time runs the same frozen bytecode over
# the same C code, which QEMU's TCG has translated by then: the first
# time's excess over it is what a first run costs under emulation.
# Each run: `import stubmon.app` (every module the start imports), then
# Monitor.run() to the end of poll 1 (the options ask for count=1): the
# version, options, probe, watchdog, events, poll 1's table and stats line.
import sys

import xen

t = [xen.time_ns()]
from stubmon import app  # noqa: E402

t.append(xen.time_ns())
for name in list(sys.modules):
    if name.startswith('stubmon') or name.startswith('xenabi'):
        del sys.modules[name]
t.append(xen.time_ns())
from stubmon import app  # noqa: E402,F811

t.append(xen.time_ns())
app.Monitor(xen).run()
t.append(xen.time_ns())
m = app.Monitor(xen)
m.run()
t.append(xen.time_ns())
entry = xen.boot_ns()[0]
print(
    'stubmon warm: entry_to_main_us=%d import_us=%d import_again_us=%d run_us=%d run_again_us=%d'
    % (
        (t[0] - entry) // 1000,
        (t[1] - t[0]) // 1000,
        (t[3] - t[2]) // 1000,
        (t[4] - t[3]) // 1000,
        (t[5] - t[4]) // 1000,
    )
)
m.test.leave(xen, True)  # exit=qemu
